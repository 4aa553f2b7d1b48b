; roms/smoke.asm — Amber's bundled smoke program, a 64 KiB firmware image.
;
; `make run` boots it until a real guest exists.  It starts at the reset
; vector like any BIOS, prints a line on the debug port (0xE9), checks a few
; results the CPU must get right, reports on the debug port and ends the run
; through the exit device (port 0xF4): 0 when every check passed.
        bits 16
        org 0

start:  cli
        xor ax, ax
        mov ss, ax
        mov sp, 0x7c00
        mov ax, cs
        mov ds, ax
        mov si, banner
        call print

        ; 1 + 2 + ... + 1000 = 500500 (0x7A314), with 32-bit registers.
        xor eax, eax
        mov ecx, 1000
.sum:   add eax, ecx
        loop .sum
        cmp eax, 500500
        jne fail

        ; 16-bit multiply and divide: 1234 * 56 = 69104, / 7 = 9872 r 0.
        mov ax, 1234
        mov bx, 56
        mul bx                  ; DX:AX = 69104
        mov cx, 7
        div cx                  ; AX = 9872, DX = 0
        cmp ax, 9872
        jne fail
        test dx, dx
        jnz fail

        ; A string copy and compare inside RAM.
        xor ax, ax
        mov es, ax
        mov di, 0x1000
        mov si, banner
        mov cx, banner_len
        cld
        rep movsb
        push es
        pop ds
        mov si, 0x1000
        push cs
        pop es
        mov di, banner
        mov cx, banner_len
        repe cmpsb
        jne fail
        push cs
        pop ds

        mov si, pass_msg
        call print
        mov al, 0
        out 0xf4, al
        hlt

fail:   push cs
        pop ds
        mov si, fail_msg
        call print
        mov al, 1
        out 0xf4, al
        hlt

; Prints the NUL-terminated string at DS:SI on the debug port.
print:  lodsb
        test al, al
        jz .done
        out 0xe9, al
        jmp print
.done:  ret

banner:   db "Amber smoke program: the bundled test ROM", 10
banner_len equ $ - banner
          db 0
pass_msg: db "smoke: all checks passed", 10, 0
fail_msg: db "smoke: a check FAILED", 10, 0

        times 0xfff0 - ($ - $$) db 0xff
reset:  jmp 0xf000:start        ; the reset vector, 16 bytes below 4 GiB
        times 0x10000 - ($ - $$) db 0xff
