; paging.asm — 32-bit 2-level paging, page faults (CR2 and error code),
; CR0.WP, user/supervisor, accessed/dirty bits, INVLPG, MOV CR3 flushes,
; 4 MiB PSE pages, global pages (only what the SDM guarantees), a page-
; crossing write, then PAE paging: 3-level walk, 2 MiB pages, reserved bits.
; References: Intel SDM vol. 3 ch. 4 (paging), 4.10 (TLBs), 6.15 (#PF).
%define PROG "paging"
%include "lib.inc"

PD              equ 0x100000            ; 32-bit page directory
PT0             equ 0x101000            ; linear 0-4 MiB
PT1             equ 0x102000            ; linear 4-8 MiB (test pages)
PDPT            equ 0x103000            ; PAE page-directory-pointer table
PDPT_BAD        equ 0x103020            ; one with a reserved bit set
PAE_PD          equ 0x104000
PAE_PT          equ 0x105000            ; linear 0-2 MiB in PAE

PG_P            equ 0x001
PG_W            equ 0x002
PG_U            equ 0x004
PG_A            equ 0x020
PG_D            equ 0x040
PG_PS           equ 0x080
PG_G            equ 0x100

CR0_WP          equ 0x00010000
CR0_PG          equ 0x80000000
CR4_PSE         equ 0x10
CR4_PAE         equ 0x20
CR4_PGE         equ 0x80

; Test pages (linear), all in PT1.
TP_NP           equ 0x400000            ; not present
TP_RO           equ 0x401000            ; supervisor, read-only
TP_SUP          equ 0x402000            ; supervisor, writable
TP_AD           equ 0x403000            ; user, writable, A=D=0
TP_INV          equ 0x404000            ; remapped between MARK_A and MARK_B
TP_G            equ 0x405000            ; global, -> MARK_A
TP_NG           equ 0x406000            ; not global, -> MARK_A
TP_X1           equ 0x407000            ; present; the next page is not
TP_X2           equ 0x408000
TP_URO          equ 0x409000            ; user, read-only
MARK_A          equ 0x500000            ; physical pages holding 'AAAA' / 'BBBB'
MARK_B          equ 0x501000
PSE_PHYS        equ 0x1000000           ; 4 MiB / 2 MiB page frames
PSE_MARK_OFF    equ 0x123450
PSE_MARK        equ 0x45535021

%define PTE(lin) (PT1 + (((lin) >> 12) & 0x3FF) * 4)

main:
        ; ---------------------------------------------------- tables
        mov edi, PD
        xor eax, eax
        mov ecx, 3 * 1024
        rep stosd
        mov dword [PD + 0], PT0 | PG_P | PG_W | PG_U
        mov dword [PD + 4], PT1 | PG_P | PG_W | PG_U
        ; PT0 and PT1: identity, user, writable.
        mov edi, PT0
        mov eax, PG_P | PG_W | PG_U
        mov ecx, 2048
.id:    stosd
        add eax, 0x1000
        loop .id
        mov dword [PTE(TP_NP)], 0
        mov dword [PTE(TP_RO)], TP_RO | PG_P
        mov dword [PTE(TP_SUP)], TP_SUP | PG_P | PG_W
        mov dword [PTE(TP_AD)], TP_AD | PG_P | PG_W | PG_U
        mov dword [PTE(TP_INV)], MARK_A | PG_P | PG_W
        mov dword [PTE(TP_G)], MARK_A | PG_P | PG_W | PG_G
        mov dword [PTE(TP_NG)], MARK_A | PG_P | PG_W
        mov dword [PTE(TP_X2)], 0
        mov dword [PTE(TP_URO)], TP_URO | PG_P | PG_U
        ; 4 MiB page: linear 0xC00000 -> PSE_PHYS.
        mov dword [PD + 3 * 4], PSE_PHYS | PG_PS | PG_P | PG_W
        ; Markers, written while paging is off.
        mov dword [MARK_A], 0x41414141
        mov dword [MARK_B], 0x42424242
        mov dword [PSE_PHYS + PSE_MARK_OFF], PSE_MARK
        mov dword [TP_RO], 0x0000F00D
        mov edi, TP_X1 + 0xFF0
        mov eax, 0xEEEEEEEE
        mov ecx, 4
        rep stosd

        ; ---------------------------------------------------- enable
        mov eax, PD
        mov cr3, eax
        mov eax, cr4
        or eax, CR4_PSE
        mov cr4, eax
        mov eax, cr0
        or eax, CR0_PG
        and eax, ~CR0_WP
        mov cr0, eax
        jmp .pg                         ; (identity mapped: nothing moves)
.pg:    mov eax, cr0
        CHECKM "paging.enabled", eax, CR0_PG, CR0_PG
        CHECK "paging.identity", [MARK_A], 0x41414141

        ; ---------------------------------------------------- not present
        TRY .f1
.f1i:   mov eax, [TP_NP + 0x123]
.f1:    ENDTRY
        CHECK_EXC "paging.np-read", 14, 0
        CHECK "paging.np-read.cr2", [exc_cr2], TP_NP + 0x123
        CHECK "paging.np-read.eip", [exc_frame + FR_EIP], .f1i
        TRY .f2
        mov dword [TP_NP + 0x456], 0
.f2:    ENDTRY
        CHECK_EXC "paging.np-write", 14, 2
        CHECK "paging.np-write.cr2", [exc_cr2], TP_NP + 0x456
        RING3 0x00000002, USTACK_TOP
        mov eax, [TP_NP + 0x789]        ; (ring 3)
        RING3_END
        CHECK_EXC "paging.np-user-read", 14, 4
        CHECK "paging.np-user-read.cr2", [exc_cr2], TP_NP + 0x789
        RING3 0x00000002, USTACK_TOP
        mov dword [TP_NP + 0xABC], 0    ; (ring 3)
        RING3_END
        CHECK_EXC "paging.np-user-write", 14, 6
        ; Not present at the directory level: a 4 MiB hole.
        TRY .f3
        mov eax, [0x1000000 + 0x10]
.f3:    ENDTRY
        CHECK_EXC "paging.np-pde", 14, 0
        CHECK "paging.np-pde.cr2", [exc_cr2], 0x1000010

        ; ---------------------------------------------------- CR0.WP
        TRY .w1
        mov dword [TP_RO], 0x11111111   ; WP=0: supervisor writes ignore R/W
.w1:    ENDTRY
        CHECK_NOEXC "paging.wp0.ro-write"
        CHECK "paging.wp0.ro-write.value", [TP_RO], 0x11111111
        mov eax, cr0
        or eax, CR0_WP
        mov cr0, eax
        TRY .w2
        mov dword [TP_RO], 0x22222222
.w2:    ENDTRY
        CHECK_EXC "paging.wp1.ro-write", 14, 3
        CHECK "paging.wp1.ro-write.cr2", [exc_cr2], TP_RO
        CHECK "paging.wp1.ro-write.value", [TP_RO], 0x11111111
        TRY .w3
        mov eax, [TP_RO]
.w3:    ENDTRY
        CHECK_NOEXC "paging.wp1.ro-read"

        ; ---------------------------------------------------- user / supervisor
        RING3 0x00000002, USTACK_TOP
        mov eax, [TP_SUP + 8]           ; (ring 3)
        RING3_END
        CHECK_EXC "paging.user-read-supervisor", 14, 5
        CHECK "paging.user-read-supervisor.cr2", [exc_cr2], TP_SUP + 8
        RING3 0x00000002, USTACK_TOP
        mov dword [TP_SUP + 12], 0      ; (ring 3)
        RING3_END
        CHECK_EXC "paging.user-write-supervisor", 14, 7
        RING3 0x00000002, USTACK_TOP
        mov eax, [TP_URO]               ; (ring 3) a user read-only page reads
        RING3_END
        CHECK_NOEXC "paging.user-read-user-ro"
        RING3 0x00000002, USTACK_TOP
        mov dword [TP_URO], 0           ; (ring 3) but does not write
        RING3_END
        CHECK_EXC "paging.user-write-user-ro", 14, 7
        CHECK "paging.user-write-user-ro.cr2", [exc_cr2], TP_URO
        TRY .u1
        mov eax, [TP_SUP]               ; ring 0 reads and writes it
        mov dword [TP_SUP], 0x5050
.u1:    ENDTRY
        CHECK_NOEXC "paging.supervisor-access"

        ; ---------------------------------------------------- accessed / dirty
        invlpg [TP_AD]
        CHECKM "paging.ad.initial", [PTE(TP_AD)], PG_A | PG_D, 0
        mov eax, [TP_AD]
        CHECKM "paging.ad.read-sets-a", [PTE(TP_AD)], PG_A | PG_D, PG_A
        mov dword [TP_AD], 1
        CHECKM "paging.ad.write-sets-d", [PTE(TP_AD)], PG_A | PG_D, PG_A | PG_D
        CHECKM "paging.ad.pde-accessed", [PD + 4], PG_A, PG_A

        ; ---------------------------------------------------- INVLPG, MOV CR3
        CHECK "paging.invlpg.before", [TP_INV], 0x41414141
        mov dword [PTE(TP_INV)], MARK_B | PG_P | PG_W
        invlpg [TP_INV]
        CHECK "paging.invlpg.after", [TP_INV], 0x42424242
        mov dword [PTE(TP_INV)], MARK_A | PG_P | PG_W
        mov eax, cr3
        mov cr3, eax
        CHECK "paging.mov-cr3.flushes", [TP_INV], 0x41414141

        ; ---------------------------------------------------- PSE 4 MiB page
        CHECK "paging.pse.read", [0xC00000 + PSE_MARK_OFF], PSE_MARK
        CHECKM "paging.pse.pde-accessed", [PD + 3 * 4], PG_A | PG_D, PG_A
        mov dword [0xC00000 + 0x3FFFFC], 0x7777
        CHECKM "paging.pse.pde-dirty", [PD + 3 * 4], PG_A | PG_D, PG_A | PG_D

        ; ---------------------------------------------------- PGE
        mov eax, cr4
        or eax, CR4_PGE
        mov cr4, eax
        CHECK "paging.pge.global-before", [TP_G], 0x41414141
        CHECK "paging.pge.nonglobal-before", [TP_NG], 0x41414141
        mov dword [PTE(TP_G)], MARK_B | PG_P | PG_W | PG_G
        mov dword [PTE(TP_NG)], MARK_B | PG_P | PG_W
        mov eax, cr3
        mov cr3, eax
        ; The non-global change must be seen; the global entry may or may
        ; not have survived (the SDM lets a TLB drop entries any time).
        CHECK "paging.pge.mov-cr3-flushes-nonglobal", [TP_NG], 0x42424242
        cmp dword [TP_G], 0x41414141
        jne .gnew
        PRINT {"info paging.pge: the global translation survived MOV CR3 (allowed, not checked)", 10}
        jmp .gdone
.gnew:  PRINT {"info paging.pge: the global translation was refetched after MOV CR3 (allowed, not checked)", 10}
.gdone: invlpg [TP_G]
        CHECK "paging.pge.invlpg-global", [TP_G], 0x42424242
        mov dword [PTE(TP_G)], MARK_A | PG_P | PG_W | PG_G
        mov eax, cr4
        and eax, ~CR4_PGE
        mov cr4, eax                    ; changing CR4.PGE flushes global entries too
        or eax, CR4_PGE
        mov cr4, eax
        CHECK "paging.pge.cr4-toggle-flushes-global", [TP_G], 0x41414141

        ; ---------------------------------------------------- page-crossing write
        TRY .x1
        mov dword [TP_X1 + 0xFFE], 0x12345678
.x1:    ENDTRY
        CHECK_EXC "paging.cross-write", 14, 2
        CHECK "paging.cross-write.cr2", [exc_cr2], TP_X2
        movzx eax, byte [TP_X1 + 0xFFE]
        CHECK "paging.cross-write.first-byte-unchanged", eax, 0xEE
        movzx eax, byte [TP_X1 + 0xFFF]
        CHECK "paging.cross-write.second-byte-unchanged", eax, 0xEE

        ; ================================================== PAE
        mov eax, cr0
        and eax, ~CR0_PG
        mov cr0, eax
        ; PDPT: entry 0 -> PAE_PD; entries 1-3 not present.
        mov edi, PDPT
        xor eax, eax
        mov ecx, 16
        rep stosd
        mov dword [PDPT], PAE_PD | PG_P
        mov dword [PDPT_BAD], PAE_PD | PG_P
        mov dword [PDPT_BAD + 8], PAE_PD | PG_P | PG_W   ; R/W is reserved in a PAE PDPTE
        mov edi, PAE_PD
        xor eax, eax
        mov ecx, 2 * 1024
        rep stosd
        mov dword [PAE_PD + 0 * 8], PAE_PT | PG_P | PG_W | PG_U
        mov dword [PAE_PD + 1 * 8], 0x200000 | PG_PS | PG_P | PG_W | PG_U
        mov dword [PAE_PD + 2 * 8], 0x400000 | PG_PS | PG_P | PG_W | PG_U
        mov dword [PAE_PD + 3 * 8], 0x600000 | PG_PS | PG_P | PG_W | PG_U
        mov dword [PAE_PD + 4 * 8], PSE_PHYS | PG_PS | PG_P | PG_W       ; linear 8 MiB
        mov dword [PAE_PD + 6 * 8], 0x200000 | PG_PS | PG_P | PG_W
        mov dword [PAE_PD + 6 * 8 + 4], 0x80000000   ; bit 63: reserved (no NX here)
        mov edi, PAE_PT
        mov eax, PG_P | PG_W | PG_U
        mov ecx, 512
.pt:    mov [edi], eax
        mov dword [edi + 4], 0
        add edi, 8
        add eax, 0x1000
        loop .pt
        mov dword [PAE_PT + 0x1FF * 8], MARK_B | PG_P | PG_W           ; linear 0x1FF000
        mov eax, cr4
        or eax, CR4_PAE
        mov cr4, eax
        mov eax, PDPT
        mov cr3, eax
        mov eax, cr0
        or eax, CR0_PG
        mov cr0, eax
        jmp .pae
.pae:   mov eax, cr4
        CHECKM "paging.pae.enabled", eax, CR4_PAE, CR4_PAE
        CHECK "paging.pae.identity", [MARK_A], 0x41414141
        CHECK "paging.pae.4k-page", [0x1FF000], 0x42424242
        CHECK "paging.pae.2m-page", [0x800000 + PSE_MARK_OFF], PSE_MARK
        CHECKM "paging.pae.2m-pde-accessed", [PAE_PD + 4 * 8], PG_A | PG_D, PG_A
        mov dword [0x800000 + 0x1FFFFC], 0x2222
        CHECKM "paging.pae.2m-pde-dirty", [PAE_PD + 4 * 8], PG_A | PG_D, PG_A | PG_D
        CHECKM "paging.pae.pte-accessed", [PAE_PT + 0x1FF * 8], PG_A, PG_A
        CHECK "paging.pae.pte-high-dword", [PAE_PT + 0x1FF * 8 + 4], 0
        TRY .p1
        mov eax, [0xA00000 + 0x44]      ; PDE 5: not present
.p1:    ENDTRY
        CHECK_EXC "paging.pae.np-pde", 14, 0
        CHECK "paging.pae.np-pde.cr2", [exc_cr2], 0xA00044
        TRY .p2
        mov dword [0x40000000 + 0x88], 0 ; PDPTE 1: not present
.p2:    ENDTRY
        CHECK_EXC "paging.pae.np-pdpte", 14, 2
        CHECK "paging.pae.np-pdpte.cr2", [exc_cr2], 0x40000088
        TRY .p3
        mov eax, [0xC00000 + 0x10]      ; PDE 6: bit 63 set
.p3:    ENDTRY
        CHECK_EXC "paging.pae.reserved-bit", 14, 9       ; P | RSVD
        CHECK "paging.pae.reserved-bit.cr2", [exc_cr2], 0xC00010
        ; Loading CR3 with a PDPT whose present entry has a reserved bit
        ; set: #GP(0), CR3 unchanged.
        TRY .p4
        mov eax, PDPT_BAD
        mov cr3, eax
.p4:    ENDTRY
        CHECK_EXC "paging.pae.pdpte-reserved", 13, 0
        mov eax, cr3
        CHECK "paging.pae.pdpte-reserved.cr3-kept", eax, PDPT
        ; Back to no paging.
        mov eax, cr0
        and eax, ~(CR0_PG | CR0_WP)
        mov cr0, eax
        ; The writes through the large pages reached their physical frames.
        CHECK "paging.pse.write-phys", [PSE_PHYS + 0x3FFFFC], 0x7777
        CHECK "paging.pae.2m-write-phys", [PSE_PHYS + 0x1FFFFC], 0x2222
        ret

GDT_BEGIN
GDT_END

END_IMAGE
