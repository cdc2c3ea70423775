/*
 * pwd - prints the absolute path of the working directory (getcwd).
 */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    char path[PATH_MAX];

    if (getcwd(path, sizeof(path)) == NULL) {
        perror("pwd");
        return 1;
    }
    puts(path);
    return 0;
}
