; A 4 KiB firmware for the graphics screenshot test: programs VGA mode 13h
; (320x200, 256 colours) register by register from the standard table (no
; VGA BIOS), sets DAC entries 1-3 to pure red, green and blue, draws a red
; pixel at (10,10), a green one at (319,0), a blue 8x8 square at (100,50),
; and halts with interrupts off (exit status 4).
        bits 16
        org 0
start:  cli
        mov dx, 0x3c2                   ; miscellaneous output
        mov al, 0x63
        out dx, al
        mov dx, 0x3c4                   ; sequencer
        mov si, seq
        mov cx, 5
        xor bl, bl
.seq:   mov al, bl
        mov ah, [cs:si]
        out dx, ax
        inc si
        inc bl
        loop .seq
        mov dx, 0x3d4                   ; CRTC
        mov si, crtc
        mov cx, 25
        xor bl, bl
.crtc:  mov al, bl
        mov ah, [cs:si]
        out dx, ax
        inc si
        inc bl
        loop .crtc
        mov dx, 0x3ce                   ; graphics controller
        mov si, gc
        mov cx, 9
        xor bl, bl
.gc:    mov al, bl
        mov ah, [cs:si]
        out dx, ax
        inc si
        inc bl
        loop .gc
        mov dx, 0x3da                   ; reset the attribute flip-flop
        in al, dx
        mov dx, 0x3c0
        mov si, attr
        mov cx, 21
        xor bl, bl
.attr:  mov al, bl
        out dx, al
        mov al, [cs:si]
        out dx, al
        inc si
        inc bl
        loop .attr
        mov al, 0x20                    ; palette address source: video on
        out dx, al
        mov dx, 0x3c8                   ; DAC entries 1, 2, 3
        mov al, 1
        out dx, al
        inc dx
        mov si, dac
        mov cx, 9
.dac:   mov al, [cs:si]
        out dx, al
        inc si
        loop .dac
        mov ax, 0xa000
        mov es, ax
        mov byte [es:10*320+10], 1      ; red
        mov byte [es:319], 2            ; green
        mov di, 50*320+100              ; blue square
        mov bx, 8
.row:   mov cx, 8
        mov al, 3
        rep stosb
        add di, 320 - 8
        dec bx
        jnz .row
        hlt
seq:    db 0x03, 0x01, 0x0f, 0x00, 0x0e
crtc:   db 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00
        db 0x00, 0x00, 0x00, 0x00, 0x9c, 0x0e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff
gc:     db 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff
attr:   db 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07
        db 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
        db 0x41, 0x00, 0x0f, 0x00, 0x00
dac:    db 63, 0, 0,  0, 63, 0,  0, 0, 63
        times 0xff0 - ($ - $$) db 0xf4
        jmp 0xff00:start
        times 0x1000 - ($ - $$) db 0xf4
