; A 4 KiB firmware for the COM1 tests: prints "HELLO" on COM1 (polling
; LSR.THRE), then echoes every received byte (polling LSR.DR), forever.
        bits 16
        org 0
COM1    equ 0x3f8
start:  mov si, msg
.next:  mov al, [cs:si]
        test al, al
        jz echo
        call putc
        inc si
        jmp .next
echo:   mov dx, COM1 + 5
.wait:  in al, dx
        test al, 1
        jz .wait
        mov dx, COM1
        in al, dx
        call putc
        jmp echo
putc:   push ax
        mov dx, COM1 + 5
.busy:  in al, dx
        test al, 0x20
        jz .busy
        pop ax
        mov dx, COM1
        out dx, al
        ret
msg:    db "HELLO", 13, 10, 0
        times 0xff0 - ($ - $$) db 0xf4
        jmp 0xff00:start        ; the reset vector: CS:IP with base 0xFFFF0000 + ...
        times 0x1000 - ($ - $$) db 0xf4
