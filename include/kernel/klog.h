/*
 * include/kernel/klog.h - the kernel log that dmesg reads (kernel/klog.c, syslog(2)).
 */
#ifndef MICA_KERNEL_KLOG_H
#define MICA_KERNEL_KLOG_H

/* Appends one character of kernel output to the log (every kprintf goes here, quiet or not). */
void klog_putc(char c);

#endif
