/* long stockade_clone3_trampoline(struct clone_args* args, size_t size,
 *                                 int (*fn)(void*), void* arg)
 *
 * clone3 with a caller-chosen stack: the child wakes up on the new stack with
 * no C frame to return into, so it must be caught here, before any compiled
 * code runs. The child calls fn(arg) and exits with its result; the parent
 * returns clone3's result (pid or -errno). r8/r9 survive the syscall in both
 * processes (the kernel copies the parent's registers into the child). */
        .text
        .globl  stockade_clone3_trampoline
        .type   stockade_clone3_trampoline, @function
stockade_clone3_trampoline:
        .cfi_startproc
        mov     %rdx, %r8               /* fn */
        mov     %rcx, %r9               /* arg */
        mov     $435, %eax              /* __NR_clone3 */
        syscall
        test    %rax, %rax
        jnz     1f
        /* child */
        .cfi_undefined rip
        xor     %ebp, %ebp
        and     $-16, %rsp
        mov     %r9, %rdi
        call    *%r8
        mov     %eax, %edi
        mov     $60, %eax               /* __NR_exit */
        syscall
        hlt
1:
        ret
        .cfi_endproc
        .size   stockade_clone3_trampoline, .-stockade_clone3_trampoline

        .section .note.GNU-stack,"",@progbits
