; tests/debugger/prog.asm — the bare-metal program the debugger tests drive
; (tests/system/debugger.sh, tests/system/gdbstub.sh).  A 4 KiB firmware
; image at linear 0xFF000-0xFFFFF (CS = F000 in real mode, offsets
; 0xF000-0xFFFF; flat CS in protected mode, so linear = offset + 0xF0000).
; Every label a test names sits at a fixed offset (the `pad_to` macro pads to
; it), so the expected output does not move when code above it changes.
;
;   f000:f000  real mode: POST code 0x11, a 16-bit call (rm_func, f100),
;              a word written to 0x500, then into protected mode
;   0xff200    pm32: flat segments, an IDT with vector 0x30, paging (the
;              first 4 MiB identity-mapped; linear 0x400000 -> physical
;              0x2000), a loop calling func32 -> inner (frame pointers)
;   0xff2c0    after the loop: a dword to 0x3000, a read through the alias
;              0x400000, 'A' to port 0xE9, int 0x30, exit status 0 (port 0xF4)
;   0xff300    func32, 0xff320 inner, 0xff340 the int 0x30 handler
        bits 16
        org 0xF000

%macro pad_to 1
        times (%1 - 0xF000) - ($ - $$) db 0x90
%endmacro

LIN     equ 0xF0000                     ; linear = offset + LIN in PM

start:  cli
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7000
        mov al, 0x11
        out 0x80, al                    ; POST code 0x11
        mov ax, 1
        mov cx, 3
        call rm_func                    ; f01a
        mov word [0x500], 0x1234        ; the real-mode watch target
        mov ax, [0x500]
        o32 lgdt [cs:gdtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax                    ; real -> protected
        jmp dword 0x08:(pm32 + LIN)

        pad_to 0xF100
rm_func:
        push bp
        mov bp, sp
        add ax, cx
        pop bp
        ret

        align 8
gdt:    dq 0
        dw 0xFFFF, 0x0000, 0x9B00, 0x00CF   ; 0x08 flat code, 32-bit, accessed
        dw 0xFFFF, 0x0000, 0x9300, 0x00CF   ; 0x10 flat data, accessed
gdt_end:
gdtr:   dw gdt_end - gdt - 1
        dd gdt + LIN
idtr:   dw 0x30 * 8 + 7
        dd 0x20000
msg:    db "amber debugger test", 0

        pad_to 0xF200
        bits 32
pm32:   mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, 0x8000
        ; IDT at 0x20000: vector 0x30 -> handler (an interrupt gate)
        mov eax, handler + LIN
        mov word [0x20000 + 0x30 * 8], ax
        mov word [0x20000 + 0x30 * 8 + 2], 0x08
        mov word [0x20000 + 0x30 * 8 + 4], 0x8E00
        shr eax, 16
        mov word [0x20000 + 0x30 * 8 + 6], ax
        lidt [idtr + LIN]
        ; paging: PD at 0x10000; PT 0 at 0x11000 maps 0-4 MiB 1:1; PT 1 at
        ; 0x12000 maps linear 0x400000 to physical 0x2000
        mov edi, 0x11000
        mov eax, 3
        mov ecx, 1024
.pt:    mov [edi], eax
        add eax, 0x1000
        add edi, 4
        loop .pt
        mov dword [0x10000], 0x11003
        mov dword [0x10004], 0x12003
        mov dword [0x12000], 0x2003
        mov dword [0x2000], 0xCAFEF00D
        mov eax, 0x10000
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax                    ; paging on
        xor eax, eax
        xor ebp, ebp
.loop:  inc eax
        call func32
        cmp eax, 5
        jne .loop

        pad_to 0xF2C0
after:  mov dword [0x3000], 0xDEADBEEF
        mov ebx, [0x400000]             ; reads physical 0x2000
        mov dx, 0xE9
        mov al, 'A'
        out dx, al
        int 0x30
        mov al, 0
        out 0xF4, al                    ; exit status 0
        cli
        hlt

        pad_to 0xF300
func32: push ebp
        mov ebp, esp
        call inner
        pop ebp
        ret

        pad_to 0xF320
inner:  push ebp
        mov ebp, esp
        add edx, eax
        pop ebp
        ret

        pad_to 0xF340
handler:
        inc esi
        iretd

        pad_to 0xFFF0
        bits 16
        jmp 0xF000:start
        times 0x1000 - ($ - $$) db 0xFF
