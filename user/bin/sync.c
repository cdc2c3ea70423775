/*
 * sync - writes every dirty page of every disk now (sync(2)), instead of
 * waiting up to 5 seconds for the flusher.
 */
#include <sys/mount.h>

int main(void)
{
    sync();
    return 0;
}
