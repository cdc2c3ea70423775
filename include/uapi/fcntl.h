/*
 * include/uapi/fcntl.h - open flags, fcntl commands, *at() flags, seek
 * whences and file-type bits, with Linux x86-64 values (shared with user/lib).
 */
#ifndef MICA_UAPI_FCNTL_H
#define MICA_UAPI_FCNTL_H

#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_ACCMODE 03
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define O_LARGEFILE 0100000 /* always on for 64-bit: accepted and ignored */

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EACCESS 0x200
#define AT_EMPTY_PATH 0x1000

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFREG 0100000
#define S_IFIFO 0010000
#define S_IFLNK 0120000
#define S_IFBLK 0060000
#define S_IFSOCK 0140000

#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

/* struct stat as the x86-64 stat/fstat/newfstatat system calls fill it */
struct linux_stat {
    unsigned long st_dev;
    unsigned long st_ino;
    unsigned long st_nlink;
    unsigned int st_mode;
    unsigned int st_uid;
    unsigned int st_gid;
    unsigned int pad0;
    unsigned long st_rdev;
    long st_size;
    long st_blksize;
    long st_blocks;
    unsigned long st_atime_sec, st_atime_nsec;
    unsigned long st_mtime_sec, st_mtime_nsec;
    unsigned long st_ctime_sec, st_ctime_nsec;
    long reserved[3];
};

/* one entry of getdents64 */
struct linux_dirent64 {
    unsigned long d_ino;
    long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_REG 8
#define DT_BLK 6
#define DT_LNK 10
#define DT_SOCK 12

/* ioctl requests mica answers on a terminal */
#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TIOCGWINSZ 0x5413
#define TCSBRK 0x5409
#define TCXONC 0x540a
#define TCFLSH 0x540b
#define TIOCSCTTY 0x540e
#define TIOCGPGRP 0x540f
#define TIOCSPGRP 0x5410
#define TIOCOUTQ 0x5411
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541b
#define TIOCNOTTY 0x5422
#define TIOCGSID 0x5429

struct linux_winsize {
    unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel;
};

struct linux_termios {
    unsigned int c_iflag, c_oflag, c_cflag, c_lflag;
    unsigned char c_line;
    unsigned char c_cc[19];
};

struct linux_iovec {
    unsigned long iov_base;
    unsigned long iov_len;
};

#endif
