; A minimal "bzImage" for the direct kernel boot test: a real-mode setup
; header as the Linux boot protocol (boot.rst) describes it, and a 32-bit
; payload loaded at 1 MiB that checks what the 32-bit protocol promises and
; reports on port 0xE9: the command line, the number of e820 entries and the
; first bytes of the initrd; exit status 0 when every check passed.
        section .setup start=0
        bits 16
        times 0x1f1 - ($ - $$) db 0
        db 1                    ; setup_sects: one sector after the boot sector
        dw 0                    ; root_flags
        dd 0                    ; syssize
        dw 0                    ; ram_size
        dw 0                    ; vid_mode
        dw 0                    ; root_dev
        dw 0xaa55               ; boot_flag
        db 0xeb, hdr_end - 0x202 ; jump; its second byte sizes the header
        db "HdrS"
        dw 0x020f               ; protocol 2.15
        dd 0                    ; realmode_swtch
        dw 0                    ; start_sys_seg
        dw 0                    ; kernel_version
        db 0                    ; type_of_loader
        db 1                    ; loadflags: LOADED_HIGH
        dw 0                    ; setup_move_size
        dd 0x100000             ; code32_start
        dd 0                    ; ramdisk_image
        dd 0                    ; ramdisk_size
        dd 0                    ; bootsect_kludge
        dw 0                    ; heap_end_ptr
        db 0, 0                 ; ext_loader_ver, ext_loader_type
        dd 0                    ; cmd_line_ptr
        dd 0x7fffffff           ; initrd_addr_max
        dd 0x1000               ; kernel_alignment
        db 0, 0                 ; relocatable_kernel, min_alignment
        dw 0                    ; xloadflags
        dd 255                  ; cmdline_size
hdr_end:
        times 1024 - ($ - $$) db 0

        section .pm follows=.setup vstart=0x100000
        bits 32
pm:     mov dx, 0xe9
        mov bl, 0                       ; failures
        mov ax, cs
        cmp ax, 0x10
        jne .bad_seg
        mov ax, ds
        cmp ax, 0x18
        jne .bad_seg
        mov ax, ss
        cmp ax, 0x18
        je .seg_ok
.bad_seg: inc bl
.seg_ok:
        test edi, edi                   ; EDI and EBP must be 0 (EBX too; it is ours now)
        jnz .bad_regs
        test ebp, ebp
        jz .regs_ok
.bad_regs: inc bl
.regs_ok:
        mov esp, 0x90000                ; the protocol gives no stack: make one, as Linux does
        pushfd
        pop eax
        test eax, 0x200                 ; interrupts off
        jz .if_ok
        inc bl
.if_ok: cmp byte [esi + 0x210], 0       ; type_of_loader filled in
        jne .loader_ok
        inc bl
.loader_ok:
        mov edi, msg_cmd
        call puts
        mov edi, [esi + 0x228]          ; cmd_line_ptr
        call puts
        mov al, 10
        out dx, al
        mov edi, msg_e820
        call puts
        mov al, [esi + 0x1e8]           ; e820_entries
        add al, '0'
        out dx, al
        mov al, 10
        out dx, al
        mov edi, msg_rd
        call puts
        mov edi, [esi + 0x218]          ; ramdisk_image
        mov ecx, [esi + 0x21c]          ; ramdisk_size
        test ecx, ecx
        jz .rd_done
        cmp ecx, 16
        jbe .rd_print
        mov ecx, 16
.rd_print:
        mov al, [edi]
        out dx, al
        inc edi
        loop .rd_print
.rd_done:
        mov al, 10
        out dx, al
        mov al, bl
        out 0xf4, al
        hlt
puts:   mov al, [edi]                   ; EDI: NUL-terminated string
        test al, al
        jz .done
        out dx, al
        inc edi
        jmp puts
.done:  ret
msg_cmd:  db "cmdline: ", 0
msg_e820: db "e820 entries: ", 0
msg_rd:   db "initrd: ", 0
