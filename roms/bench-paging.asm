; roms/bench-paging.asm — the paging benchmark for `make bench`: protected
; mode with 2-level paging (64 MiB identity-mapped, user pages), then a ring-3
; loop that reads and writes one dword in each of 2048 pages (8 MiB) over and
; over.  The run is bounded by --max-insns; --stats shows the MMU's figures.
        bits 16
        org 0
GDT_RAM equ 0x1000
PD      equ 0x100000            ; page directory; page tables follow it
PAGES   equ 2048                ; pages touched per pass (the shadow tables hold 4096)

start:  cli
        xor ax, ax
        mov es, ax
        mov ax, cs
        mov ds, ax
        mov si, gdt
        mov di, GDT_RAM
        mov cx, gdt_end - gdt
        rep movsb               ; the CPU writes accessed bits: keep the GDT in RAM
        o32 lgdt [cs:gdtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword 0x08:(0xF0000 + pm32)

        bits 32
pm32:   mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, 0x90000
        ; 16 page tables (64 MiB), identity, present | writable | user
        mov edi, PD + 0x1000
        mov eax, 7
        mov ecx, 16 * 1024
.pte:   stosd
        add eax, 0x1000
        loop .pte
        mov edi, PD
        mov eax, PD + 0x1000 + 7
        mov ecx, 16
.pde:   stosd
        add eax, 0x1000
        loop .pde
        mov eax, PD
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        ; to ring 3
        push dword 0x23                 ; SS
        push dword 0x800000             ; ESP
        push dword 0x202                ; EFLAGS (IF, though nothing interrupts)
        push dword 0x1b                 ; CS
        push dword 0xF0000 + ring3
        iretd
ring3:  mov ax, 0x23
        mov ds, ax
        mov es, ax
        xor eax, eax
.pass:  mov esi, 0x1000000
        mov ecx, PAGES
.page:  add eax, [esi]
        mov [esi + 4], eax
        add esi, 4096
        dec ecx
        jnz .page
        jmp .pass

        align 8
gdt:    dq 0
        dq 0x00CF9A000000FFFF   ; 0x08 ring-0 code
        dq 0x00CF92000000FFFF   ; 0x10 ring-0 data
        dq 0x00CFFA000000FFFF   ; 0x18 ring-3 code
        dq 0x00CFF2000000FFFF   ; 0x20 ring-3 data
gdt_end:
gdtr:   dw gdt_end - gdt - 1
        dd GDT_RAM

        times 0xfff0 - ($ - $$) db 0xff
        bits 16
        jmp 0xf000:start
        times 0x10000 - ($ - $$) db 0xff
