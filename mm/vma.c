/*
 * mm/vma.c - the VMA tree: an AVL tree of VMAs keyed by start, that knows its gaps.
 *
 * AVL: every node stores its height (a leaf is 1, an empty subtree 0), and
 * the heights of a node's two subtrees differ by at most 1. That keeps a
 * tree of n nodes below 1.44 * log2(n + 2) levels, so each descent is
 * O(log n). After a node is linked or unlinked, fixup_to_root() walks from
 * the changed spot up to the root; where a node leans by 2 it rotates: a
 * parent and child swap places, the address order stays the same, and the
 * heavy side gets one level shorter.
 *
 * Gaps: the "gap before" a VMA is the free space between it and the VMA
 * just below it (or tree->lowest for the first VMA; 0 if it starts below
 * that). Every node stores two numbers about gaps:
 *   gap_before   its own gap;
 *   subtree_gap  the largest gap before any VMA in its subtree
 *                = max(gap_before, left->subtree_gap, right->subtree_gap).
 * vma_find_gap() skips whole subtrees whose subtree_gap is too small.
 *
 * Keeping them right: a VMA's gap_before changes only when the VMA just
 * below it changes - one is inserted or removed there, or it moves its end
 * (split, merge). Insert and remove find both neighbours of the VMA they
 * link or unlink (insert on its way down, remove with vma_prev() and
 * vma_next()) and set the one or two gap_before values that changed.
 * Those nodes always lie on the path that fixup_to_root() climbs anyway,
 * and it recomputes each node's subtree_gap from three numbers it already
 * has (its own gap_before and its children's subtree_gap): O(1) per node,
 * O(log n) per update.
 *
 * The space above the last VMA, up to tree->highest, is the one gap no
 * node holds. tree->last points at that VMA, so vma_find_gap() can try
 * the top gap first without walking down the right edge.
 *
 * No locking here: the owning struct mm serialises every call.
 */
#include <kernel/errno.h>
#include <kernel/panic.h>
#include <lib/format.h>
#include <lib/string.h>
#include <memlayout.h>
#include <mm/kmalloc.h>
#include <mm/vma.h>
#include <mm/vmobject.h>

/* ---------------------------------------------------------------------------
 * Creating and freeing VMAs
 */

void vma_tree_init(struct vma_tree *tree, vaddr_t lowest, vaddr_t highest)
{
    assert(lowest <= highest);
    tree->root = NULL;
    tree->last = NULL;
    tree->count = 0;
    tree->lowest = lowest;
    tree->highest = highest;
}

struct vma *vma_alloc(vaddr_t start, vaddr_t end, uint32_t flags, enum vma_kind kind)
{
    assert(start < end);
    assert(IS_ALIGNED(start, PAGE_SIZE) && IS_ALIGNED(end, PAGE_SIZE));
    struct vma *vma = kmalloc(sizeof(*vma));
    if (!vma)
        return NULL;
    memset(vma, 0, sizeof(*vma)); /* no links, no object, offset 0 */
    vma->start = start;
    vma->end = end;
    vma->flags = flags;
    vma->kind = kind;
    return vma;
}

/* Frees the struct only: it must not be in a tree, and its object is not released. */
void vma_free(struct vma *vma)
{
    if (vma->object)
        vmobject_put(vma->object); /* each VMA holds one reference on its object */
    kfree(vma);
}

/* ---------------------------------------------------------------------------
 * Walking the tree: in-order neighbours
 */

static struct vma *subtree_first(struct vma *vma)
{
    while (vma->left)
        vma = vma->left;
    return vma;
}

static struct vma *subtree_last(struct vma *vma)
{
    while (vma->right)
        vma = vma->right;
    return vma;
}

struct vma *vma_first(const struct vma_tree *tree)
{
    return tree->root ? subtree_first(tree->root) : NULL;
}

struct vma *vma_last(const struct vma_tree *tree)
{
    return tree->last;
}

/* The lowest node of the right subtree, or the first ancestor we reach from its left side. */
struct vma *vma_next(const struct vma *vma)
{
    if (vma->right)
        return subtree_first(vma->right);
    struct vma *parent = vma->parent;
    while (parent && vma == parent->right) {
        vma = parent;
        parent = parent->parent;
    }
    return parent;
}

/* The mirror image of vma_next(). */
struct vma *vma_prev(const struct vma *vma)
{
    if (vma->left)
        return subtree_last(vma->left);
    struct vma *parent = vma->parent;
    while (parent && vma == parent->left) {
        vma = parent;
        parent = parent->parent;
    }
    return parent;
}

/* ---------------------------------------------------------------------------
 * Lookups
 */

/* VMAs do not overlap, so ends are sorted like starts: descend on end. */
struct vma *vma_find(const struct vma_tree *tree, vaddr_t addr)
{
    struct vma *best = NULL;
    struct vma *node = tree->root;
    while (node) {
        if (node->end > addr) {
            best = node; /* a candidate; a lower one may be to the left */
            node = node->left;
        } else {
            node = node->right;
        }
    }
    return best;
}

struct vma *vma_lookup(const struct vma_tree *tree, vaddr_t addr)
{
    struct vma *vma = vma_find(tree, addr);
    return vma && vma->start <= addr ? vma : NULL;
}

struct vma *vma_find_overlap(const struct vma_tree *tree, vaddr_t start, vaddr_t end)
{
    struct vma *vma = vma_find(tree, start);
    return vma && vma->start < end ? vma : NULL;
}

/* ---------------------------------------------------------------------------
 * Keeping heights and gaps right
 */

static int height_of(const struct vma *vma)
{
    return vma ? vma->height : 0;
}

static vaddr_t subtree_gap_of(const struct vma *vma)
{
    return vma ? vma->subtree_gap : 0;
}

/*
 * The gap before vma when prev is the VMA just below it (NULL: vma is the
 * first, and the gap is measured from tree->lowest).
 */
static vaddr_t gap_between(const struct vma_tree *tree, const struct vma *prev,
                           const struct vma *vma)
{
    vaddr_t from = prev ? prev->end : tree->lowest;
    return vma->start > from ? vma->start - from : 0;
}

/*
 * Recomputes height and subtree_gap from the node's own gap_before and its
 * children (which must all be right already). Inline: fixup_to_root() runs
 * it at every level, and a call would cost as much as the work.
 */
static inline void update_node(struct vma *vma)
{
    vma->height = 1 + MAX(height_of(vma->left), height_of(vma->right));
    vma->subtree_gap = MAX(vma->gap_before,
                           MAX(subtree_gap_of(vma->left), subtree_gap_of(vma->right)));
}

/* Puts new_child where old_child hung below parent (or at the root). */
static void replace_child(struct vma_tree *tree, struct vma *parent, struct vma *old_child,
                          struct vma *new_child)
{
    if (!parent)
        tree->root = new_child;
    else if (parent->left == old_child)
        parent->left = new_child;
    else
        parent->right = new_child;
    if (new_child)
        new_child->parent = parent;
}

/*
 *      x                 y
 *     / \               / \
 *    a   y     ==>     x   c
 *       / \           / \
 *      b   c         a   b
 * Returns y, the new root of the subtree.
 */
static struct vma *rotate_left(struct vma_tree *tree, struct vma *x)
{
    struct vma *y = x->right;
    x->right = y->left;
    if (y->left)
        y->left->parent = x;
    replace_child(tree, x->parent, x, y);
    y->left = x;
    x->parent = y;
    update_node(x); /* x is now below y: x first */
    update_node(y);
    return y;
}

/* The mirror image of rotate_left(). */
static struct vma *rotate_right(struct vma_tree *tree, struct vma *x)
{
    struct vma *y = x->left;
    x->left = y->right;
    if (y->right)
        y->right->parent = x;
    replace_child(tree, x->parent, x, y);
    y->right = x;
    x->parent = y;
    update_node(x);
    update_node(y);
    return y;
}

/* Left height minus right height: -1, 0 or 1 in a balanced node. */
static int balance_of(const struct vma *vma)
{
    return height_of(vma->left) - height_of(vma->right);
}

/*
 * Rotates vma, which leans by 2 (balance is +2 or -2), and returns the
 * node now at its place; the rotations recompute every node they move. A
 * child leaning the other way is rotated first ("double rotation"), or the
 * single rotation would just move the excess to the other side.
 */
static struct vma *rotate_to_balance(struct vma_tree *tree, struct vma *vma, int balance)
{
    if (balance > 0) {
        if (balance_of(vma->left) < 0)
            rotate_left(tree, vma->left);
        return rotate_right(tree, vma);
    }
    if (balance_of(vma->right) > 0)
        rotate_right(tree, vma->right);
    return rotate_left(tree, vma);
}

/*
 * Rebalances and recomputes vma and every ancestor, bottom-up. This runs
 * on every insert and remove, so a level costs only what it must: the
 * balance, then either a rotation or update_node().
 */
static void fixup_to_root(struct vma_tree *tree, struct vma *vma)
{
    while (vma) {
        int balance = balance_of(vma);
        if (balance > 1 || balance < -1)
            vma = rotate_to_balance(tree, vma, balance);
        else
            update_node(vma);
        vma = vma->parent;
    }
}

/* ---------------------------------------------------------------------------
 * Insert and remove
 */

/*
 * Where a search for a new VMA's start ends: the empty link it would hang
 * from, that link's parent, and the VMAs just below and above it.
 */
struct leaf_spot {
    struct vma **link;
    struct vma *parent;
    struct vma *prev, *next; /* NULL at either end of the tree */
};

/*
 * One descent. A new leaf's predecessor is the last node where the descent
 * went right, and its successor the last node where it went left.
 */
static struct leaf_spot find_leaf_spot(struct vma_tree *tree, vaddr_t start)
{
    struct leaf_spot spot = { .link = &tree->root };
    while (*spot.link) {
        spot.parent = *spot.link;
        if (start < spot.parent->start) {
            spot.next = spot.parent;
            spot.link = &spot.parent->left;
        } else {
            spot.prev = spot.parent;
            spot.link = &spot.parent->right;
        }
    }
    return spot;
}

/*
 * Links vma as a leaf at spot and sets the gaps that change: its own, and
 * its successor's, which now begins at vma->end instead of the predecessor's end.
 */
static void link_leaf(struct vma_tree *tree, struct vma *vma, const struct leaf_spot *spot)
{
    vma->left = vma->right = NULL;
    vma->parent = spot->parent;
    *spot->link = vma;
    vma->gap_before = gap_between(tree, spot->prev, vma);
    if (spot->next)
        spot->next->gap_before = gap_between(tree, vma, spot->next);
    else
        tree->last = vma;
}

int vma_insert(struct vma_tree *tree, struct vma *vma)
{
    assert(vma->start < vma->end);
    assert(IS_ALIGNED(vma->start, PAGE_SIZE) && IS_ALIGNED(vma->end, PAGE_SIZE));
    if (tree->count >= VMA_MAX_COUNT)
        return -ENOMEM;
    struct leaf_spot spot = find_leaf_spot(tree, vma->start);
    /* Sorted and disjoint: if any VMA overlaps vma, one of these two does. */
    if ((spot.prev && spot.prev->end > vma->start) || (spot.next && spot.next->start < vma->end))
        return -EEXIST;
    link_leaf(tree, vma, &spot);
    tree->count++;
    /* A leaf's successor is one of its ancestors, so this walk recomputes it too. */
    fixup_to_root(tree, vma);
    return 0;
}

/*
 * Unlinks a node with two children by moving its in-order successor (the
 * leftmost node of its right subtree, which has no left child) into its
 * place. Returns the lowest node whose subtree changed.
 */
static struct vma *unlink_with_two_children(struct vma_tree *tree, struct vma *vma)
{
    struct vma *heir = subtree_first(vma->right);
    struct vma *fix_from = heir;
    if (heir != vma->right) {
        fix_from = heir->parent;
        replace_child(tree, heir->parent, heir, heir->right);
        heir->right = vma->right;
        vma->right->parent = heir;
    }
    heir->left = vma->left;
    vma->left->parent = heir;
    replace_child(tree, vma->parent, vma, heir);
    return fix_from;
}

/* Takes vma out of the tree's links. Returns the lowest node whose subtree changed. */
static struct vma *unlink_node(struct vma_tree *tree, struct vma *vma)
{
    struct vma *fix_from;
    if (vma->left && vma->right) {
        fix_from = unlink_with_two_children(tree, vma);
    } else {
        struct vma *child = vma->left ? vma->left : vma->right;
        replace_child(tree, vma->parent, vma, child);
        fix_from = child ? child : vma->parent;
    }
    vma->left = vma->right = vma->parent = NULL;
    return fix_from;
}

static bool tree_contains(const struct vma_tree *tree, const struct vma *vma)
{
    while (vma->parent)
        vma = vma->parent;
    return vma == tree->root;
}

void vma_remove(struct vma_tree *tree, struct vma *vma)
{
    assert(tree_contains(tree, vma));
    struct vma *prev = vma_prev(vma), *next = vma_next(vma);
    struct vma *fix_from = unlink_node(tree, vma);
    tree->count--;
    /* next's gap now reaches down to prev: it swallows vma's range and vma's gap. */
    if (next)
        next->gap_before = gap_between(tree, prev, next);
    else
        tree->last = prev;
    /*
     * next is on this walk: it is the heir, the right child that took
     * vma's place, or an ancestor.
     */
    fixup_to_root(tree, fix_from);
}

/* ---------------------------------------------------------------------------
 * Split and merge
 */

struct vma *vma_split(struct vma_tree *tree, struct vma *vma, vaddr_t addr)
{
    assert(vma->start < addr && addr < vma->end && IS_ALIGNED(addr, PAGE_SIZE));
    if (tree->count >= VMA_MAX_COUNT)
        return NULL;
    struct vma *upper = vma_alloc(addr, vma->end, vma->flags, vma->kind);
    if (!upper)
        return NULL;
    upper->object = vma->object;
    if (upper->object)
        vmobject_get(upper->object);
    upper->offset = vma->offset + (addr - vma->start);
    /*
     * vma's own gap is unchanged. Inserting upper sets upper's gap (0) and
     * measures its successor's gap from upper->end, the end vma had.
     */
    vma->end = addr;
    int err = vma_insert(tree, upper);
    assert(err == 0); /* the room and the count were checked above */
    return upper;
}

bool vma_can_merge(const struct vma *a, const struct vma *b)
{
    if (a->end != b->start || a->flags != b->flags || a->kind != b->kind)
        return false;
    if (a->object != b->object)
        return false;
    /* Anonymous memory has no offsets; an object's pages must continue. */
    return a->object == NULL || b->offset == a->offset + (a->end - a->start);
}

/*
 * lower takes over upper's range; upper is removed and freed. lower->end
 * moves first, so vma_remove() measures the next VMA's gap from there and
 * it comes out unchanged (it began at upper->end), and the one walk up
 * from the removal fixes every node. (The two overlap for that moment;
 * vma_remove() looks only at the links and at the neighbours' ends.)
 */
static void absorb_upper(struct vma_tree *tree, struct vma *lower, struct vma *upper)
{
    lower->end = upper->end;
    vma_remove(tree, upper);
    vma_free(upper);
}

struct vma *vma_merge_neighbours(struct vma_tree *tree, struct vma *vma)
{
    struct vma *prev = vma_prev(vma);
    if (prev && vma_can_merge(prev, vma)) {
        absorb_upper(tree, prev, vma);
        vma = prev;
    }
    struct vma *next = vma_next(vma);
    if (next && vma_can_merge(vma, next))
        absorb_upper(tree, vma, next);
    return vma;
}

/* ---------------------------------------------------------------------------
 * Finding free space
 */

struct gap_query {
    uint64_t len;
    vaddr_t lo, hi; /* len <= hi - lo */
};

/*
 * The highest page-aligned s with [s, s + len) inside the free range
 * [from, to) and inside [q->lo, q->hi); 0 when there is none (address 0 is
 * never handed out, so 0 can mean "nothing").
 */
static vaddr_t fit_in_range(const struct gap_query *q, vaddr_t from, vaddr_t to)
{
    vaddr_t lo = MAX(from, q->lo);
    vaddr_t hi = MIN(to, q->hi);
    if (hi <= lo || hi - lo < q->len)
        return 0;
    vaddr_t s = ALIGN_DOWN(hi - q->len, PAGE_SIZE);
    return s >= lo ? s : 0;
}

/* fit_in_range() for the gap just before vma: [start - gap_before, start). */
static vaddr_t fit_own_gap(const struct gap_query *q, const struct vma *vma)
{
    if (vma->gap_before < q->len)
        return 0;
    return fit_in_range(q, vma->start - vma->gap_before, vma->start);
}

/* Whether some gap in the subtree at vma is at least len long. */
static bool has_room(const struct gap_query *q, const struct vma *vma)
{
    return vma && vma->subtree_gap >= q->len;
}

/*
 * From vma, goes down right children for as long as the right subtree
 * has room and does not lie wholly above hi (its gaps begin at vma->end
 * or above): the highest candidate gaps are there.
 */
static const struct vma *descend_right(const struct gap_query *q, const struct vma *vma)
{
    while (has_room(q, vma->right) && vma->end <= q->hi - q->len)
        vma = vma->right;
    return vma;
}

/*
 * The next node whose gap comes below vma's subtree, high addresses first:
 * the first ancestor reached from its right side (its left side holds
 * only lower addresses, which were visited already); NULL at the root.
 */
static const struct vma *climb_to_lower(const struct vma *vma)
{
    while (vma->parent && vma == vma->parent->left)
        vma = vma->parent;
    return vma->parent;
}

/*
 * The highest fit among the gaps of the whole tree, which has_room():
 * an in-order walk from high addresses to low (right subtree, own gap,
 * left subtree) that enters only subtrees with room, skips right subtrees
 * that lie wholly above hi, and stops below lo. It is a loop with parent
 * links, not recursion, because mmap runs it on every call.
 */
static vaddr_t search_tree(const struct gap_query *q, const struct vma *root)
{
    const struct vma *vma = descend_right(q, root);
    while (vma && vma->start >= q->lo + q->len) { /* below that, every gap ends too low */
        vaddr_t found = fit_own_gap(q, vma);
        if (found)
            return found;
        if (has_room(q, vma->left))
            vma = descend_right(q, vma->left);
        else
            vma = climb_to_lower(vma);
    }
    return 0;
}

static bool hint_is_free(const struct vma_tree *tree, uint64_t len, vaddr_t lo, vaddr_t hi,
                         vaddr_t hint)
{
    if (hint == 0 || !IS_ALIGNED(hint, PAGE_SIZE))
        return false;
    if (hint < lo || hint > hi - len) /* the caller made sure len <= hi - lo */
        return false;
    return vma_find_overlap(tree, hint, hint + len) == NULL;
}

vaddr_t vma_find_gap(const struct vma_tree *tree, uint64_t len, vaddr_t lo, vaddr_t hi,
                     vaddr_t hint)
{
    assert(IS_ALIGNED(len, PAGE_SIZE));
    if (len == 0 || hi <= lo || hi - lo < len)
        return 0;
    if (hint_is_free(tree, len, lo, hi, hint))
        return hint;
    struct gap_query q = { .len = len, .lo = lo, .hi = hi };
    /* Above the last VMA is the highest free space of all (up to tree->highest). */
    vaddr_t found = fit_in_range(&q, tree->last ? tree->last->end : tree->lowest, tree->highest);
    if (found)
        return found;
    return has_room(&q, tree->root) ? search_tree(&q, tree->root) : 0;
}

/* ---------------------------------------------------------------------------
 * Checking every invariant (for tests and debugging)
 */

#define CHECK_MAX_DEPTH 64 /* far above any AVL tree of VMA_MAX_COUNT nodes */

struct check_walk {
    const struct vma_tree *tree;
    const struct vma *prev; /* the VMA visited just before, in address order */
    size_t visited;
    char *why;
    size_t why_size;
};

static int check_fail(struct check_walk *w, const struct vma *vma, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "vma [start, end): <message>" to w->why; returns -EINVAL. */
static int check_fail(struct check_walk *w, const struct vma *vma, const char *fmt, ...)
{
    if (!w->why || w->why_size == 0)
        return -EINVAL;
    int n = 0;
    if (vma)
        n = fmt_snprintf(w->why, w->why_size, "vma [%#lx, %#lx): ", vma->start, vma->end);
    if (n < 0 || (size_t)n >= w->why_size)
        return -EINVAL;
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(w->why + n, w->why_size - (size_t)n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* The node on its own, visited in address order: its range and its gap_before. */
static int check_range(struct check_walk *w, const struct vma *vma)
{
    if (vma->start >= vma->end)
        return check_fail(w, vma, "start >= end");
    if (!IS_ALIGNED(vma->start, PAGE_SIZE) || !IS_ALIGNED(vma->end, PAGE_SIZE))
        return check_fail(w, vma, "not page-aligned");
    if (w->prev && w->prev->end > vma->start)
        return check_fail(w, vma, "overlaps or is below the previous VMA [%#lx, %#lx)",
                          w->prev->start, w->prev->end);
    vaddr_t gap = gap_between(w->tree, w->prev, vma);
    if (vma->gap_before != gap)
        return check_fail(w, vma, "gap_before %#lx, should be %#lx", vma->gap_before, gap);
    w->prev = vma;
    return 0;
}

/* What the node stores about its subtree, once both children are checked. */
static int check_summary(struct check_walk *w, const struct vma *vma)
{
    int height = 1 + MAX(height_of(vma->left), height_of(vma->right));
    if (vma->height != height)
        return check_fail(w, vma, "height %d, should be %d", vma->height, height);
    int balance = balance_of(vma);
    if (balance < -1 || balance > 1)
        return check_fail(w, vma, "unbalanced: left height - right height = %d", balance);
    vaddr_t max_gap = MAX(vma->gap_before,
                          MAX(subtree_gap_of(vma->left), subtree_gap_of(vma->right)));
    if (vma->subtree_gap != max_gap)
        return check_fail(w, vma, "subtree_gap %#lx, should be %#lx", vma->subtree_gap,
                          max_gap);
    return 0;
}

/* In-order walk of the subtree at vma, whose parent should be `parent`. */
static int check_subtree(struct check_walk *w, const struct vma *vma, const struct vma *parent,
                         int depth)
{
    if (!vma)
        return 0;
    if (vma->parent != parent)
        return check_fail(w, vma, "parent link is wrong");
    if (depth > CHECK_MAX_DEPTH || ++w->visited > w->tree->count)
        return check_fail(w, vma, "more nodes (or levels) than the tree can hold");
    int err = check_subtree(w, vma->left, vma, depth + 1);
    if (!err)
        err = check_range(w, vma);
    if (!err)
        err = check_subtree(w, vma->right, vma, depth + 1);
    if (!err)
        err = check_summary(w, vma);
    return err;
}

/* After the walk: w->prev is the highest VMA, which tree->last must point at. */
static int check_last(struct check_walk *w)
{
    if (w->tree->last == w->prev)
        return 0;
    if (!w->prev)
        return check_fail(w, NULL, "tree->last is set, but the tree is empty");
    return check_fail(w, w->prev, "is the highest VMA, but tree->last points elsewhere");
}

int vma_tree_check(const struct vma_tree *tree, char *why, size_t why_size)
{
    struct check_walk w = { .tree = tree, .why = why, .why_size = why_size };
    if (why && why_size)
        why[0] = '\0';
    if (tree->count > VMA_MAX_COUNT)
        return check_fail(&w, NULL, "count %zu is above VMA_MAX_COUNT", tree->count);
    int err = check_subtree(&w, tree->root, NULL, 1);
    if (err)
        return err;
    if (w.visited != tree->count)
        return check_fail(&w, NULL, "count %zu, but the tree holds %zu VMAs", tree->count,
                          w.visited);
    return check_last(&w);
}
