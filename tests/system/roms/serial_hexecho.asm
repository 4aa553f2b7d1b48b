; A 4 KiB firmware for the interactive console test (tests/system/console.sh):
; prints "READY" and a line feed on COM1, then answers every received byte
; with its value in hex between angle brackets: 'q' -> "<71>", Ctrl+C ->
; "<03>".  The answer holds only printable characters, so what reached the
; guest is visible whatever the terminal does with control bytes, and none
; of the letters a test types (g..z) ever appear in it.  Polls LSR, forever.
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
        test al, 1              ; LSR.DR: a byte has arrived
        jz .wait
        mov dx, COM1
        in al, dx
        mov bl, al
        mov al, '<'
        call putc
        mov al, bl
        shr al, 4
        call hexdigit
        mov al, bl
        and al, 0x0f
        call hexdigit
        mov al, '>'
        call putc
        jmp echo
hexdigit:
        add al, '0'
        cmp al, '9'
        jbe putc
        add al, 'a' - '9' - 1
putc:   push ax
        mov dx, COM1 + 5
.busy:  in al, dx
        test al, 0x20           ; LSR.THRE: the transmitter can take a byte
        jz .busy
        pop ax
        mov dx, COM1
        out dx, al
        ret
msg:    db "READY", 10, 0
        times 0xff0 - ($ - $$) db 0xf4
        jmp 0xff00:start        ; the reset vector
        times 0x1000 - ($ - $$) db 0xf4
