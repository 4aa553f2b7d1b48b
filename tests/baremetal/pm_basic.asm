; pm_basic.asm — entering 32-bit protected mode and the segment checks of
; ring 0: limits, present bits, SS rules, expand-down segments, conforming
; code, LAR/LSL/VERR/VERW, ARPL, SGDT/SIDT/SMSW, and a trip back to real mode.
; References: Intel SDM vol. 3 ch. 3 and 5, the instruction pages of vol. 2.
%define PROG "pm_basic"
%include "lib.inc"

LIM_BASE        equ 0x20000             ; base of the 4 KiB limited data segment
ED32_BASE       equ 0x200000
ED16_BASE       equ 0x300000

main:
        ; ---------------------------------------------------- pm.enter
        mov eax, cr0
        CHECKM "pm.enter.cr0-pe", eax, 1, 1
        xor eax, eax
        mov ax, cs
        CHECK "pm.enter.cs", eax, KCODE
        xor eax, eax
        mov ax, ss
        CHECK "pm.enter.ss", eax, KDATA
        str ax
        CHECK "pm.enter.tr", eax, TSS_SEL

        ; ---------------------------------------------------- data and stack
        mov dword [LIM_BASE], 0x12345678
        mov ax, SEL_LIM
        mov es, ax
        mov eax, [es:0]                 ; base 0x20000 + 0
        CHECK "pm.data.base", eax, 0x12345678
        mov dword [es:0x10], 0xA5A5F00D
        CHECK "pm.data.write", [LIM_BASE + 0x10], 0xA5A5F00D
        mov ebx, esp
        push dword 0xCAFEBABE
        mov ecx, esp
        pop edx
        sub ebx, ecx
        CHECK "pm.stack.push-esp", ebx, 4
        CHECK "pm.stack.pop", edx, 0xCAFEBABE
        push word 0x1234                ; 16-bit push in a 32-bit stack
        mov ecx, esp
        pop dx
        mov ebx, esp
        sub ebx, ecx
        CHECK "pm.stack.push16", ebx, 2

        ; ---------------------------------------------------- limits: #GP(0)
        mov ax, SEL_LIM
        mov es, ax
        TRY .l1
        mov al, [es:0xFFF]              ; last byte: fine
.l1:    ENDTRY
        CHECK_NOEXC "pm.gp-limit.last-byte"
        TRY .l2
        mov eax, [es:0xFFE]             ; dword crossing the limit
.l2:    ENDTRY
        CHECK_EXC "pm.gp-limit.dword", 13, 0
        mov ax, SEL_LIM                 ; (a caught fault leaves ES = KDATA)
        mov es, ax
        TRY .l3
        mov byte [es:0x1000], 1         ; one past the limit
.l3:    ENDTRY
        CHECK_EXC "pm.gp-limit.byte", 13, 0
        mov ax, KDATA
        mov es, ax

        ; ---------------------------------------------------- segment loads
        ; A not-present data segment: #NP(selector).
        TRY .n1
        mov ax, SEL_NP
        mov fs, ax
.n1:    ENDTRY
        CHECK_EXC "pm.np-data", 11, SEL_NP
        ; SS with a read-only data segment: #GP(selector).
        TRY .n2
        mov ax, SEL_RO
        mov ss, ax
.n2:    ENDTRY
        CHECK_EXC "pm.ss-readonly", 13, SEL_RO
        ; SS with a writable but not-present segment: #SS(selector).
        TRY .n3
        mov ax, SEL_NPSTACK
        mov ss, ax
.n3:    ENDTRY
        CHECK_EXC "pm.ss-not-present", 12, SEL_NPSTACK
        ; SS with the null selector: #GP(0).
        TRY .n4
        xor ax, ax
        mov ss, ax
.n4:    ENDTRY
        CHECK_EXC "pm.ss-null", 13, 0
        ; A data register with an execute-only code segment: #GP(selector).
        TRY .n5
        mov ax, SEL_XO
        mov fs, ax
.n5:    ENDTRY
        CHECK_EXC "pm.ds-exec-only", 13, SEL_XO
        ; A readable code segment is fine in a data register.
        TRY .n6
        mov ax, KCODE
        mov fs, ax
        mov eax, [fs:main]
.n6:    ENDTRY
        CHECK_NOEXC "pm.ds-readable-code"
        ; A selector past the GDT limit: #GP(selector).
        TRY .n7
        mov ax, 0xFF8
        mov fs, ax
.n7:    ENDTRY
        CHECK_EXC "pm.ds-past-gdt-limit", 13, 0xFF8
        ; The null selector loads into FS, a use of it faults: #GP(0).
        TRY .n8
        xor ax, ax
        mov fs, ax
.n8:    ENDTRY
        CHECK_NOEXC "pm.null-load"
        TRY .n9
        mov eax, [fs:0x1000]
.n9:    ENDTRY
        CHECK_EXC "pm.null-use", 13, 0
        ; Writing through a read-only data segment: #GP(0).
        TRY .n10
        mov ax, SEL_RO
        mov fs, ax
        mov dword [fs:LIM_BASE], 0
.n10:   ENDTRY
        CHECK_EXC "pm.write-readonly", 13, 0
        CHECK "pm.write-readonly.unchanged", [LIM_BASE], 0x12345678
        ; Writing through a code segment (readable, never writable): #GP(0).
        TRY .n11
        mov dword [cs:LIM_BASE], 0
.n11:   ENDTRY
        CHECK_EXC "pm.write-code", 13, 0

        ; The accessed bit is set in the descriptor on a load.
        movzx eax, byte [gdt + SEL_ACC + 5]
        CHECKM "pm.accessed.before", eax, ACC_A, 0
        mov ax, SEL_ACC
        mov fs, ax
        movzx eax, byte [gdt + SEL_ACC + 5]
        CHECKM "pm.accessed.after", eax, ACC_A, ACC_A
        mov ax, KDATA
        mov fs, ax

        ; ---------------------------------------------------- expand-down
        ; 32-bit (B=1), limit 0xFFF: valid offsets 0x1000..0xFFFFFFFF.
        mov dword [ED32_BASE + 0x1000], 0x0ED32ED3
        mov ax, SEL_ED32
        mov es, ax
        TRY .e1
        mov eax, [es:0x1000]
        mov [ed_value], eax
.e1:    ENDTRY
        CHECK_NOEXC "pm.expand-down32.low-end"
        CHECK "pm.expand-down32.value", [ed_value], 0x0ED32ED3
        TRY .e2
        mov eax, [es:0xFFFFFFFC]        ; wraps to ED32_BASE - 4
.e2:    ENDTRY
        CHECK_NOEXC "pm.expand-down32.top"
        TRY .e3
        mov al, [es:0xFFF]
.e3:    ENDTRY
        CHECK_EXC "pm.expand-down32.at-limit", 13, 0
        mov ax, SEL_ED32
        mov es, ax
        TRY .e4
        mov eax, [es:0xFFE]             ; partly below: 0xFFE, 0xFFF invalid
.e4:    ENDTRY
        CHECK_EXC "pm.expand-down32.straddle", 13, 0
        ; 16-bit (B=0), limit 0xFFF: valid offsets 0x1000..0xFFFF.
        mov ax, SEL_ED16
        mov es, ax
        mov edi, 0xFFFF
        TRY .e5
        mov al, [es:edi]
.e5:    ENDTRY
        CHECK_NOEXC "pm.expand-down16.top"
        mov edi, 0x10000
        TRY .e6
        mov al, [es:edi]
.e6:    ENDTRY
        CHECK_EXC "pm.expand-down16.above-64k", 13, 0
        mov ax, SEL_ED16
        mov es, ax
        mov edi, 0xFFFE
        TRY .e7
        mov eax, [es:edi]               ; 0xFFFE..0x10001
.e7:    ENDTRY
        CHECK_EXC "pm.expand-down16.straddle-top", 13, 0
        mov ax, KDATA
        mov es, ax
        ; An expand-down stack segment: an SS-relative access below the
        ; limit is #SS(0) (the exception frame itself still fits: ESP is high).
        mov ax, SEL_EDSTACK
        mov ebp, 0x2000
        TRY .e8
        mov ss, ax
        mov eax, [ebp]                  ; SS:0x2000, valid
.e8:    ENDTRY
        CHECK_NOEXC "pm.ss-expand-down.valid"
        mov ax, KDATA
        mov ss, ax
        mov ax, SEL_EDSTACK
        mov ebp, 0x800
        TRY .e9
        mov ss, ax
        mov eax, [ebp]                  ; SS:0x800, below the limit
.e9:    ENDTRY
        CHECK_EXC "pm.ss-expand-down.limit", 12, 0
        mov ax, KDATA
        mov ss, ax

        ; ---------------------------------------------------- code segments
        ; A conforming DPL-0 segment called from CPL 0: CS.RPL = CPL = 0.
        TRY .c1
        call SEL_CONF0:conf_fn
.c1:    ENDTRY
        CHECK_NOEXC "pm.conforming.call"
        CHECK "pm.conforming.cs", [conf_cs], SEL_CONF0
        ; A far call to a non-conforming DPL-3 segment from CPL 0: #GP(sel).
        TRY .c2
        call SEL_NC3:conf_fn
.c2:    ENDTRY
        CHECK_EXC "pm.call-nonconforming-dpl3", 13, SEL_NC3
        ; A conforming segment with DPL 3 > CPL 0: #GP(sel).
        TRY .c3
        call SEL_CONF3:conf_fn
.c3:    ENDTRY
        CHECK_EXC "pm.call-conforming-dpl3", 13, SEL_CONF3
        ; A far jump to a not-present code segment: #NP(sel).
        TRY .c4
        jmp SEL_NPCODE:conf_fn
.c4:    ENDTRY
        CHECK_EXC "pm.jmp-not-present", 11, SEL_NPCODE
        ; A far jump to a data segment: #GP(sel).
        TRY .c5
        jmp KDATA:conf_fn
.c5:    ENDTRY
        CHECK_EXC "pm.jmp-data-segment", 13, KDATA

        ; ---------------------------------------------------- LAR
        mov eax, 0xFFFFFFFF
        lar eax, [sel_kcode]
        setz bl
        movzx ebx, bl
        CHECK "pm.lar.code.zf", ebx, 1
        CHECKM "pm.lar.code", eax, 0x00F0FF00, 0x00C09B00
        mov ax, TSS_SEL
        lar eax, ax
        setz bl
        movzx ebx, bl
        CHECK "pm.lar.tss-busy.zf", ebx, 1
        CHECKM "pm.lar.tss-busy", eax, 0x00F0FF00, 0x00008B00
        mov ax, SEL_LDT
        lar eax, ax
        setz bl
        movzx ebx, bl
        CHECK "pm.lar.ldt.zf", ebx, 1
        CHECKM "pm.lar.ldt", eax, 0x00F0FF00, 0x00008200
        mov ax, SEL_CALLGATE
        lar eax, ax
        setz bl
        movzx ebx, bl
        CHECK "pm.lar.callgate.zf", ebx, 1
        CHECKM "pm.lar.callgate", eax, 0x00F0FF00, 0x00008C00
        mov ecx, 0x5A5A5A5A
        mov ax, SEL_INTGATE
        lar ecx, ax                     ; interrupt gates are not valid for LAR
        setz bl
        movzx ebx, bl
        CHECK "pm.lar.intgate.zf", ebx, 0
        CHECK "pm.lar.intgate.unchanged", ecx, 0x5A5A5A5A
        xor ax, ax
        lar ecx, ax
        setz bl
        movzx ebx, bl
        CHECK "pm.lar.null.zf", ebx, 0
        mov ax, 0xFF8
        lar ecx, ax
        setz bl
        movzx ebx, bl
        CHECK "pm.lar.past-limit.zf", ebx, 0

        ; ---------------------------------------------------- LSL
        mov ax, KDATA
        lsl ecx, ax
        setz bl
        movzx ebx, bl
        CHECK "pm.lsl.flat.zf", ebx, 1
        CHECK "pm.lsl.flat", ecx, 0xFFFFFFFF
        mov ax, SEL_LIM
        lsl ecx, ax
        CHECK "pm.lsl.bytes", ecx, 0xFFF
        mov ax, TSS_SEL
        lsl ecx, ax
        CHECK "pm.lsl.tss", ecx, TSS_LIMIT
        mov ax, SEL_LDT
        lsl ecx, ax
        CHECK "pm.lsl.ldt", ecx, 0x17
        mov ecx, 0x5A5A5A5A
        mov ax, SEL_CALLGATE
        lsl ecx, ax                     ; gates have no limit: ZF=0
        setz bl
        movzx ebx, bl
        CHECK "pm.lsl.callgate.zf", ebx, 0
        CHECK "pm.lsl.callgate.unchanged", ecx, 0x5A5A5A5A

        ; ---------------------------------------------------- VERR/VERW
%macro VERIFY 3 ; insn, selector, expected ZF  (name built by the caller)
        mov ax, %2
        %1 ax
        setz bl
        movzx ebx, bl
%endmacro
        VERIFY verr, KCODE, 1
        CHECK "pm.verr.readable-code", ebx, 1
        VERIFY verr, SEL_XO, 0
        CHECK "pm.verr.exec-only-code", ebx, 0
        VERIFY verr, SEL_RO, 1
        CHECK "pm.verr.readonly-data", ebx, 1
        VERIFY verw, SEL_RO, 0
        CHECK "pm.verw.readonly-data", ebx, 0
        VERIFY verw, KDATA, 1
        CHECK "pm.verw.writable-data", ebx, 1
        VERIFY verw, KCODE, 0
        CHECK "pm.verw.code", ebx, 0
        VERIFY verr, 0, 0
        CHECK "pm.verr.null", ebx, 0
        VERIFY verr, KDATA | 3, 0
        CHECK "pm.verr.rpl3-dpl0", ebx, 0
        VERIFY verr, SEL_CONF0 | 3, 1
        CHECK "pm.verr.conforming-rpl3", ebx, 1
        VERIFY verr, TSS_SEL, 0
        CHECK "pm.verr.tss", ebx, 0

        ; ---------------------------------------------------- ARPL
        mov ax, 0x0010
        mov cx, 0x0003
        arpl ax, cx
        setz bl
        movzx ebx, bl
        movzx eax, ax
        CHECK "pm.arpl.raise", eax, 0x0013
        CHECK "pm.arpl.raise.zf", ebx, 1
        mov ax, 0x0013
        mov cx, 0x0010
        arpl ax, cx
        setz bl
        movzx ebx, bl
        movzx eax, ax
        CHECK "pm.arpl.keep", eax, 0x0013
        CHECK "pm.arpl.keep.zf", ebx, 0

        ; ---------------------------------------------------- SGDT/SIDT/SMSW
        mov dword [desc_buf], 0xFFFFFFFF
        mov dword [desc_buf + 4], 0xFFFFFFFF
        sgdt [desc_buf]
        movzx eax, word [desc_buf]
        CHECK "pm.sgdt.limit", eax, gdt_end - gdt - 1
        CHECK "pm.sgdt.base", [desc_buf + 2], gdt
        sidt [desc_buf]
        movzx eax, word [desc_buf]
        CHECK "pm.sidt.limit", eax, 256 * 8 - 1
        CHECK "pm.sidt.base", [desc_buf + 2], IDT_BASE
        mov eax, cr0
        movzx ebx, ax
        mov eax, 0xFFFFFFFF
        smsw ax
        movzx eax, ax
        CHECK "pm.smsw.reg", eax, ebx
        mov word [desc_buf], 0xFFFF
        smsw [desc_buf]
        movzx eax, word [desc_buf]
        CHECK "pm.smsw.mem", eax, ebx
        CHECKM "pm.smsw.bits", eax, 0x1F, 0x11  ; PE and ET set; MP, EM, TS clear

        ; ---------------------------------------------------- real mode
        mov byte [0x100000], 0x5A       ; read back from real mode as FFFF:0010
        mov byte [0x000000], 0xA5       ; the wrapped alias (A20 off) would read this
        mov [saved_esp], esp
        jmp CODE16:.rm16
        bits 16
.rm16:  mov ax, DATA16
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, 0x1000
        mov eax, cr0
        and eax, ~1
        mov cr0, eax
        jmp 0x0000:.rm
.rm:    xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x1000
        lidt [rm_idtr]
        smsw ax
        and ax, 1
        CHECK16 "pm.realmode.pe-clear", 0
        ; Segment arithmetic: 0x0100:x is linear 0x1000 + x.
        mov ax, 0x0100
        mov es, ax
        mov ax, [es:rm_marker - 0x1000]
        CHECK16 "pm.realmode.segment", 0x4D52
        mov ax, 0xFFFF                  ; any value loads into a segment register
        mov ds, ax
        mov al, [0x0010]                ; FFFF:0010 = linear 0x100000 (A20 on)
        xor ah, ah
        xor bx, bx
        mov ds, bx
        CHECK16 "pm.realmode.hma", 0x005A
        mov ax, cs
        CHECK16 "pm.realmode.cs", 0x0000
        ; Back to protected mode.
        call enter_pm16
        bits 32
        mov esp, [saved_esp]
        lidt [idtr]
        mov eax, cr0
        CHECKM "pm.back-to-pm.cr0-pe", eax, 1, 1
        xor eax, eax
        mov ax, cs
        CHECK "pm.back-to-pm.cs", eax, KCODE
        TRY .b1
        mov ax, SEL_NP
        mov fs, ax
.b1:    ENDTRY
        CHECK_EXC "pm.back-to-pm.idt", 11, SEL_NP
        ret

; A far-called function: records CS.
conf_fn:
        push eax
        xor eax, eax
        mov ax, cs
        mov [conf_cs], eax
        pop eax
        retf

        align 4
sel_kcode:      dw KCODE
ed_value:       dd 0
conf_cs:        dd 0
saved_esp:      dd 0
desc_buf:       dd 0, 0
rm_idtr:        dw 0x3FF
                dd 0
rm_marker:      dw 0x4D52

GDT_BEGIN
gd_lim:     DESC LIM_BASE, 0xFFF, ACC_P|ACC_S|ACC_W|ACC_A, F_DB               ; 0x40
gd_np:      DESC 0, 0xFFFFF, ACC_S|ACC_W|ACC_A, F_G|F_DB                       ; 0x48
gd_ro:      DESC 0, 0xFFFFF, ACC_P|ACC_S|ACC_A, F_G|F_DB                       ; 0x50
gd_npstack: DESC 0, 0xFFFFF, ACC_S|ACC_W|ACC_A, F_G|F_DB                       ; 0x58
gd_ed32:    DESC ED32_BASE, 0xFFF, ACC_P|ACC_S|ACC_W|ACC_E|ACC_A, F_DB        ; 0x60
gd_ed16:    DESC ED16_BASE, 0xFFF, ACC_P|ACC_S|ACC_W|ACC_E|ACC_A, 0           ; 0x68
gd_edstack: DESC 0, 0xFFF, ACC_P|ACC_S|ACC_W|ACC_E|ACC_A, F_DB                ; 0x70
gd_conf0:   DESC 0, 0xFFFFF, ACC_P|ACC_CODE|ACC_C|ACC_R|ACC_A, F_G|F_DB        ; 0x78
gd_nc3:     DESC 0, 0xFFFFF, ACC_P|ACC_DPL(3)|ACC_CODE|ACC_R|ACC_A, F_G|F_DB   ; 0x80
gd_xo:      DESC 0, 0xFFFFF, ACC_P|ACC_CODE|ACC_A, F_G|F_DB                    ; 0x88
gd_acc:     DESC 0, 0xFFFFF, ACC_P|ACC_S|ACC_W, F_G|F_DB                       ; 0x90
gd_intgate: GATE KCODE, ABS(conf_fn), ACC_P|T_INTGATE32, 0                     ; 0x98
gd_callg:   GATE KCODE, ABS(conf_fn), ACC_P|T_CALLGATE32, 0                    ; 0xA0
gd_ldt:     DESC 0x30000, 0x17, ACC_P|T_LDT, 0                                 ; 0xA8
gd_conf3:   DESC 0, 0xFFFFF, ACC_P|ACC_DPL(3)|ACC_CODE|ACC_C|ACC_R|ACC_A, F_G|F_DB ; 0xB0
gd_npcode:  DESC 0, 0xFFFFF, ACC_DPL(0)|ACC_CODE|ACC_R|ACC_A, F_G|F_DB         ; 0xB8
GDT_END

SEL_LIM         equ gd_lim - gdt
SEL_NP          equ gd_np - gdt
SEL_RO          equ gd_ro - gdt
SEL_NPSTACK     equ gd_npstack - gdt
SEL_ED32        equ gd_ed32 - gdt
SEL_ED16        equ gd_ed16 - gdt
SEL_EDSTACK     equ gd_edstack - gdt
SEL_CONF0       equ gd_conf0 - gdt
SEL_NC3         equ gd_nc3 - gdt
SEL_XO          equ gd_xo - gdt
SEL_ACC         equ gd_acc - gdt
SEL_INTGATE     equ gd_intgate - gdt
SEL_CALLGATE    equ gd_callg - gdt
SEL_LDT         equ gd_ldt - gdt
SEL_CONF3       equ gd_conf3 - gdt
SEL_NPCODE      equ gd_npcode - gdt

END_IMAGE
