/*
 * include/lib/list.h - an intrusive, circular, doubly linked list.
 *
 * A list is a struct list_node used as its head; an empty list's head points
 * at itself both ways. Elements embed a struct list_node and are recovered
 * with container_of(). All operations are O(1).
 */
#ifndef MICA_LIB_LIST_H
#define MICA_LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
    struct list_node *next, *prev;
};

static inline void list_init(struct list_node *head)
{
    head->next = head->prev = head;
}

static inline bool list_empty(const struct list_node *head)
{
    return head->next == head;
}

static inline void list_insert_after(struct list_node *pos, struct list_node *node)
{
    node->prev = pos;
    node->next = pos->next;
    pos->next->prev = node;
    pos->next = node;
}

/* Adds node at the front (it becomes head->next). */
static inline void list_push(struct list_node *head, struct list_node *node)
{
    list_insert_after(head, node);
}

/* Adds node at the back. */
static inline void list_push_back(struct list_node *head, struct list_node *node)
{
    list_insert_after(head->prev, node);
}

static inline void list_remove(struct list_node *node)
{
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->next = node->prev = NULL;
}

#define list_for_each(pos, head) \
    for (struct list_node *pos = (head)->next; pos != (head); pos = pos->next)

#endif
