/* The in-process replay agent (x86_64): answers a syscall from the window
 * the replayer filled (agent_abi.h) without entering the kernel.
 *
 * Called by a site's stub (agent_code.cc) with the program's registers as
 * at its `syscall` (rax: number, rdi rsi rdx r10 r8 r9: arguments), the
 * program's flags pushed just above the return address, and rcx, r11 free
 * (the syscall clobbers them anyway). Returns rcx = 1 when it answered: rax
 * is the recorded result and r11 the flags, as the syscall leaves them.
 * rcx = 0: no entry, or the call differs from it; every register but rcx
 * and r11 is as it was, and the stub runs the real syscall, which the
 * ptrace replayer then handles (and reports divergences) as without agent.
 *
 * Assembled into rp's read-only data as bytes (rp_agent_blob_begin..end)
 * and copied into the program: position-independent, no relocations. */
#include "agent_abi.h"

#if defined(__x86_64__)
/* A record {addr, len, bytes padded to 8} at rsi: addr into rdi, len into
 * rcx, rsi at its bytes; then, rsi past its bytes, to the next record. */
  .macro record_head
  mov 0(%rsi), %rdi
  mov 8(%rsi), %rcx
  add $16, %rsi
  .endm
  .macro record_next
  add $7, %rsi
  and $-8, %rsi
  .endm

  .section .rodata.rp_agent, "a"
  .globl rp_agent_blob_begin
  .globl rp_agent_blob_end
rp_agent_blob_begin:
  push %rsi
  push %rdi
  push %rdx
  lea rp_agent_blob_begin+RP_AGENT_WINDOW_OFFSET(%rip), %r11
  mov RP_AGENT_H_NEXT(%r11), %rcx
  cmp RP_AGENT_H_COUNT(%r11), %rcx
  jae 9f
  mov RP_AGENT_H_OFF(%r11), %rcx
  add %r11, %rcx
  cmp RP_AGENT_E_NR(%rcx), %rax
  jne 9f
  testb $1, RP_AGENT_E_MASK(%rcx)
  jz 1f
  cmp RP_AGENT_E_ARGS+0(%rcx), %rdi
  jne 9f
1:testb $2, RP_AGENT_E_MASK(%rcx)
  jz 1f
  cmp RP_AGENT_E_ARGS+8(%rcx), %rsi
  jne 9f
1:testb $4, RP_AGENT_E_MASK(%rcx)
  jz 1f
  cmp RP_AGENT_E_ARGS+16(%rcx), %rdx
  jne 9f
1:testb $8, RP_AGENT_E_MASK(%rcx)
  jz 1f
  cmp RP_AGENT_E_ARGS+24(%rcx), %r10
  jne 9f
1:testb $16, RP_AGENT_E_MASK(%rcx)
  jz 1f
  cmp RP_AGENT_E_ARGS+32(%rcx), %r8
  jne 9f
1:testb $32, RP_AGENT_E_MASK(%rcx)
  jz 1f
  cmp RP_AGENT_E_ARGS+40(%rcx), %r9
  jne 9f
1:/* The strings it was given: the program's bytes, then a NUL (the stub
   * restores the program's flags, DF too). */
  cld
  mov RP_AGENT_E_NIN(%rcx), %rdx
  lea RP_AGENT_E_RECORDS(%rcx), %rsi
4:test %rdx, %rdx
  jz 5f
  record_head
  test %rcx, %rcx /* ZF set for an empty string: repe cmpsb then compares nothing */
  repe cmpsb
  jne 9f
  cmpb $0, (%rdi)
  jne 9f
  record_next
  dec %rdx
  jmp 4b
5:/* A match. What it sends is copied to the send area: no room, the
   * kernel path (nothing of the copy counts until H_SENT moves). */
  mov RP_AGENT_H_OFF(%r11), %rcx
  add %r11, %rcx
  cmpq $RP_AGENT_SEND_NONE, RP_AGENT_E_SEND(%rcx)
  je 6f
  push %rax
  push %r8
  push %r9
  mov RP_AGENT_H_SENT(%r11), %r9
  add %r11, %r9                          /* the copy's length word */
  lea 8(%r9), %rdi                       /* its bytes */
  lea RP_AGENT_WINDOW_BYTES(%r11), %r8   /* the window's end */
  cmp %r8, %rdi
  ja 8f
  mov RP_AGENT_E_SEND_PTR(%rcx), %rsi
  mov RP_AGENT_E_SEND_N(%rcx), %rdx
  cmpq $RP_AGENT_SEND_IOV, RP_AGENT_E_SEND(%rcx)
  je 7f
  cmpq $RP_AGENT_SEND_MSGHDR, RP_AGENT_E_SEND(%rcx)
  jne 14f
  /* A msghdr at rsi: its iovecs (msg_iov, msg_iovlen), and no control
   * data, whose descriptors replay reads at the call (fd_passing.cc). */
  test %rsi, %rsi
  jz 8f
  cmpq $0, 40(%rsi)
  jne 8f
  mov 24(%rsi), %rdx
  mov 16(%rsi), %rsi
  jmp 7f
14:
  /* One buffer, rdx bytes; none at a null pointer (the hash takes none). */
  test %rsi, %rsi
  jz 10f
  mov %rdx, %rcx
  mov %r8, %rax
  sub %rdi, %rax
  cmp %rax, %rcx
  ja 8f
  rep movsb
  jmp 10f
7:/* An iovec array at rsi, rdx entries (at most the kernel's limit); an
   * entry with a null base or no length adds nothing. Only when their
   * lengths add up to the recorded result: the kernel then read them all,
   * and the copy reads nothing it could not (a buffer that faulted). */
  test %rsi, %rsi
  jz 10f
  cmp $RP_AGENT_MAX_IOV, %rdx
  jbe 1f
  mov $RP_AGENT_MAX_IOV, %edx
1:xor %eax, %eax
  mov %rsi, %r11
  mov %rdx, %rcx
12:jrcxz 13f
  add 8(%r11), %rax
  jc 8f
  add $16, %r11
  dec %rcx
  jmp 12b
13:lea rp_agent_blob_begin+RP_AGENT_WINDOW_OFFSET(%rip), %r11
  mov RP_AGENT_H_OFF(%r11), %rcx
  add %r11, %rcx
  cmp RP_AGENT_E_RET(%rcx), %rax
  jne 8f
  mov %rsi, %r11
11:test %rdx, %rdx
  jz 10f
  mov 0(%r11), %rsi
  mov 8(%r11), %rcx
  add $16, %r11
  dec %rdx
  test %rsi, %rsi
  jz 11b
  mov %r8, %rax
  sub %rdi, %rax
  cmp %rax, %rcx
  ja 8f
  rep movsb
  jmp 11b
10:/* Copied: its length before it, H_SENT past it (8-aligned). */
  mov %rdi, %rax
  sub %r9, %rax
  sub $8, %rax
  mov %rax, (%r9)
  add $7, %rdi
  and $-8, %rdi
  lea rp_agent_blob_begin+RP_AGENT_WINDOW_OFFSET(%rip), %r11
  sub %r11, %rdi
  mov %rdi, RP_AGENT_H_SENT(%r11)
  pop %r9
  pop %r8
  pop %rax
  jmp 6f
8:pop %r9
  pop %r8
  pop %rax
  jmp 9f
6:/* Copy the outputs, which follow. */
  mov RP_AGENT_H_OFF(%r11), %rcx
  add %r11, %rcx
  mov RP_AGENT_E_NOUT(%rcx), %rdx
2:test %rdx, %rdx
  jz 3f
  record_head
  rep movsb
  record_next
  dec %rdx
  jmp 2b
3:mov RP_AGENT_H_OFF(%r11), %rcx
  add %r11, %rcx
  mov RP_AGENT_E_RET(%rcx), %rax
  mov RP_AGENT_E_SIZE(%rcx), %rdx
  add %rdx, RP_AGENT_H_OFF(%r11)
  incq RP_AGENT_H_NEXT(%r11)
  mov 32(%rsp), %r11 /* the flags the stub pushed: rdx rdi rsi, return address, flags */
  pop %rdx
  pop %rdi
  pop %rsi
  mov $1, %ecx
  ret
9:pop %rdx
  pop %rdi
  pop %rsi
  xor %ecx, %ecx
  ret
rp_agent_blob_end:
#endif
  .section .note.GNU-stack, "", @progbits
