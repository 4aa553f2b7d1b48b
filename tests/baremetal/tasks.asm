; tasks.asm — hardware task switching: LTR, JMP to a TSS, CALL through a
; task gate and IRET back (NT, previous-task link, busy bits, CR0.TS, state
; saved in the old TSS), the checks made before a switch (#GP busy, #NP,
; #TS limit), a 16-bit TSS, and a double fault handled by a task gate.
; References: Intel SDM vol. 3 ch. 7 (Task Management: table 7-1 and 7-2),
; 6.15 (interrupt 8, table 6-5), and the JMP, CALL, IRET, LTR pages of vol. 2.
%define PROG "tasks"
%include "lib.inc"

TSS_A           equ 0x20000
TSS_B           equ 0x20100
TSS_DF          equ 0x20200
TSS_16          equ 0x20300
TSS_SHORT       equ 0x20400
STACK_A         equ 0x62000
STACK_B         equ 0x63000
STACK_DF        equ 0x64000
STACK16_BASE    equ 0x64000                 ; the 16-bit task: SS base
STACK16_SP      equ 0x0F00

CR0_TS          equ 0x08
TYPE_MASK       equ 0x8F                    ; P + type of a system descriptor

; init_tss32 EDI base, EAX EIP, EBX ESP: a ring-0 flat task, EFLAGS = 2.
init_tss32:
        push edi
        push eax
        push ecx
        push eax
        xor eax, eax
        mov ecx, 0x68 / 4
        rep stosd
        pop eax
        pop ecx
        pop eax
        pop edi
        mov [edi + 0x20], eax
        mov dword [edi + 0x24], 0x00000002
        mov [edi + 0x38], ebx
        mov dword [edi + 0x48], KDATA       ; ES
        mov dword [edi + 0x4C], KCODE       ; CS
        mov dword [edi + 0x50], KDATA       ; SS
        mov dword [edi + 0x54], KDATA       ; DS
        mov dword [edi + 0x58], KDATA       ; FS
        mov dword [edi + 0x5C], KDATA       ; GS
        mov word [edi + 0x66], 0x68         ; no I/O bitmap
        ret

%macro TYPE_OF 2 ; dest reg32, selector: P + type of the GDT descriptor
        movzx %1, byte [gdt + (%2) + 5]
        and %1, TYPE_MASK
%endmacro

main:
        ; ---------------------------------------------------- LTR
        TYPE_OF eax, TSS_SEL
        CHECK "tasks.ltr-sets-busy", eax, ACC_P | T_TSS32_BUSY
        TRY .l1
        mov ax, TSS_SEL
        ltr ax
.l1:    ENDTRY
        CHECK_EXC "tasks.ltr-busy", 13, TSS_SEL

        ; ---------------------------------------------------- JMP to a TSS
        mov edi, TSS_A
        mov eax, task_a
        mov ebx, STACK_A
        call init_tss32
        mov word [TSS_A], 0x7777            ; JMP must not write the link field
        mov ebx, 0x12345678
        mov esi, 0xABCDEF01
        jmp SEL_TSSA:0
.back_a:                                    ; (task A jumps back to here)
        CHECK "tasks.jmp.registers-restored", ebx, 0x12345678
        CHECK "tasks.jmp.registers-restored.esi", esi, 0xABCDEF01
        CHECK "tasks.jmp.new-tr", [a_tr], SEL_TSSA
        CHECKM "tasks.jmp.nt-clear", [a_eflags], FL_NT, 0
        CHECKM "tasks.jmp.sets-cr0-ts", [a_cr0], CR0_TS, CR0_TS
        CHECK "tasks.jmp.old-busy-cleared", [a_main_type], ACC_P | T_TSS32
        CHECK "tasks.jmp.new-busy-set", [a_a_type], ACC_P | T_TSS32_BUSY
        CHECK "tasks.jmp.saved-ebx", [a_saved_ebx], 0x12345678
        CHECK "tasks.jmp.saved-eip", [a_saved_eip], .back_a
        CHECK "tasks.jmp.link-unchanged", [a_link], 0x7777
        CHECK "tasks.jmp.a-esp", [a_esp], STACK_A
        xor eax, eax
        str ax
        CHECK "tasks.jmp-back.tr", eax, TSS_SEL
        TYPE_OF eax, TSS_SEL
        CHECK "tasks.jmp-back.main-busy", eax, ACC_P | T_TSS32_BUSY
        TYPE_OF eax, SEL_TSSA
        CHECK "tasks.jmp-back.a-available", eax, ACC_P | T_TSS32
        CHECK "tasks.jmp-back.a-saved-eip", [TSS_A + 0x20], task_a.after
        mov eax, cr0
        CHECKM "tasks.jmp-back.cr0-ts", eax, CR0_TS, CR0_TS
        clts

        ; ---------------------------------------------------- CALL through a task gate, IRET back
        mov edi, TSS_B
        mov eax, task_b
        mov ebx, STACK_B
        call init_tss32
        call SEL_TASKGATE:0
.back_b:
        pushfd
        pop eax
        CHECKM "tasks.iret-back.nt-restored", eax, FL_NT, 0
        CHECK "tasks.call.new-tr", [b_tr], SEL_TSSB
        CHECKM "tasks.call.nt-set", [b_eflags], FL_NT, FL_NT
        CHECK "tasks.call.link", [b_link], TSS_SEL
        CHECK "tasks.call.old-still-busy", [b_main_type], ACC_P | T_TSS32_BUSY
        CHECK "tasks.call.new-busy", [b_b_type], ACC_P | T_TSS32_BUSY
        CHECK "tasks.call.saved-eip", [TSS_BASE + 0x20], .back_b
        CHECK "tasks.call-busy-task.vector", [b_busy_vec], 13
        CHECK "tasks.call-busy-task.error", [b_busy_err], TSS_SEL
        xor eax, eax
        str ax
        CHECK "tasks.iret-back.tr", eax, TSS_SEL
        TYPE_OF eax, TSS_SEL
        CHECK "tasks.iret-back.main-busy", eax, ACC_P | T_TSS32_BUSY
        TYPE_OF eax, SEL_TSSB
        CHECK "tasks.iret-back.b-available", eax, ACC_P | T_TSS32
        CHECKM "tasks.iret-back.b-saved-nt-clear", [TSS_B + 0x24], FL_NT, 0
        CHECK "tasks.iret-back.b-saved-eip", [TSS_B + 0x20], task_b.after
        clts

        ; ---------------------------------------------------- checks before a switch
        TRY .c1
        jmp TSS_SEL:0                       ; the current task is busy
.c1:    ENDTRY
        CHECK_EXC "tasks.jmp-busy", 13, TSS_SEL
        TRY .c2
        jmp SEL_TSSNP:0
.c2:    ENDTRY
        CHECK_EXC "tasks.jmp-not-present", 11, SEL_TSSNP
        mov edi, TSS_SHORT
        mov eax, task_a
        mov ebx, STACK_A
        call init_tss32
        TRY .c3
        jmp SEL_TSSSHORT:0                  ; limit 0x50 < 0x67
.c3:    ENDTRY
        CHECK_EXC "tasks.jmp-short-tss", 10, SEL_TSSSHORT
        xor eax, eax
        str ax
        CHECK "tasks.failed-switch.tr", eax, TSS_SEL
        TYPE_OF eax, SEL_TSSSHORT
        CHECK "tasks.failed-switch.not-busy", eax, ACC_P | T_TSS32

        ; ---------------------------------------------------- 16-bit TSS
        mov edi, TSS_16
        xor eax, eax
        mov ecx, 44 / 4
        rep stosd
        mov word [TSS_16 + 0x0E], task16    ; IP
        mov word [TSS_16 + 0x10], 0x0002    ; FLAGS
        mov word [TSS_16 + 0x12], 0x1616    ; AX
        mov word [TSS_16 + 0x18], 0xB16B    ; BX
        mov word [TSS_16 + 0x1A], STACK16_SP
        mov word [TSS_16 + 0x22], DATA16    ; ES
        mov word [TSS_16 + 0x24], CODE16    ; CS
        mov word [TSS_16 + 0x26], SEL_STACK16 ; SS
        mov word [TSS_16 + 0x28], DATA16    ; DS
        jmp SEL_TSS16:0
.back16:
        CHECK "tasks.tss16.ax", [t16_ax], 0x1616
        CHECK "tasks.tss16.bx", [t16_bx], 0xB16B
        CHECK "tasks.tss16.sp", [t16_sp], STACK16_SP
        CHECK "tasks.tss16.cs", [t16_cs], CODE16
        CHECK "tasks.tss16.ss", [t16_ss], SEL_STACK16
        CHECK "tasks.tss16.tr", [t16_tr], SEL_TSS16
        CHECK "tasks.tss16.busy", [t16_type], ACC_P | T_TSS16_BUSY
        CHECK "tasks.tss16.stack-write", [STACK16_BASE + STACK16_SP - 4], 0x5A5A0000
        TYPE_OF eax, SEL_TSS16
        CHECK "tasks.tss16.available-after", eax, ACC_P | T_TSS16
        movzx eax, word [TSS_16 + 0x0E]
        CHECK "tasks.tss16.saved-ip", eax, task16.after
        movzx eax, word [TSS_16 + 0x12]
        CHECK "tasks.tss16.saved-ax", eax, 0x6116
        xor eax, eax
        str ax
        CHECK "tasks.tss16.back-tr", eax, TSS_SEL
        clts

        ; ---------------------------------------------------- double fault through a task gate
        ; #GP whose gate points at a not-present code segment: delivering
        ; it raises #NP, and #GP then #NP (both contributory) is a double
        ; fault (SDM table 6-5).  IDT[8] is a task gate to TSS_DF.
        mov edi, TSS_DF
        mov eax, task_df
        mov ebx, STACK_DF
        call init_tss32
        mov eax, 8
        xor ebx, ebx
        mov ecx, SEL_TSSDF
        mov edx, ACC_P | T_TASKGATE
        call set_gate
        mov eax, 13
        mov ebx, exc_stubs + 13 * 16
        mov ecx, SEL_NPCODE
        mov edx, ACC_P | T_INTGATE32
        call set_gate
        mov [df_main_esp], esp
        mov eax, [exc_count]
        mov [df_exc_count], eax
        mov ax, 0xFF8                       ; past the GDT limit: #GP(0xFF8)
        mov fs, ax
        FAILNOW "tasks.df.happened", "the #GP did not fault"
.df_done:                                   ; (the double-fault task IRETs here)
        mov ax, KDATA
        mov fs, ax
        mov eax, 13                         ; restore the #GP gate
        mov ebx, exc_stubs + 13 * 16
        mov ecx, KCODE
        mov edx, ACC_P | T_INTGATE32
        call set_gate
        CHECK "tasks.df.ran", [df_ran], 1
        CHECK "tasks.df.gp-handler-not-run", [exc_count], [df_exc_count]
        CHECK "tasks.df.tr", [df_tr], SEL_TSSDF
        CHECK "tasks.df.error-code", [df_err], 0
        CHECK "tasks.df.error-code-on-new-stack", [df_esp], STACK_DF - 4
        CHECKM "tasks.df.nt-set", [df_eflags], FL_NT, FL_NT
        CHECK "tasks.df.link", [df_link], TSS_SEL
        CHECK "tasks.df.old-busy", [df_main_type], ACC_P | T_TSS32_BUSY
        CHECK "tasks.df.new-busy", [df_df_type], ACC_P | T_TSS32_BUSY
        xor eax, eax
        str ax
        CHECK "tasks.df.back-tr", eax, TSS_SEL
        TYPE_OF eax, SEL_TSSDF
        CHECK "tasks.df.df-available-after", eax, ACC_P | T_TSS32
        TYPE_OF eax, TSS_SEL
        CHECK "tasks.df.main-busy-after", eax, ACC_P | T_TSS32_BUSY
        clts
        ret

; ---------------------------------------------------------------- task A
task_a:
        xor eax, eax
        str ax
        mov [a_tr], eax
        mov [a_esp], esp
        pushfd
        pop dword [a_eflags]
        mov eax, cr0
        mov [a_cr0], eax
        TYPE_OF eax, TSS_SEL
        mov [a_main_type], eax
        TYPE_OF eax, SEL_TSSA
        mov [a_a_type], eax
        mov eax, [TSS_BASE + 0x34]
        mov [a_saved_ebx], eax
        mov eax, [TSS_BASE + 0x20]
        mov [a_saved_eip], eax
        movzx eax, word [TSS_A]
        mov [a_link], eax
        clts
        jmp TSS_SEL:0
.after:
        FAILNOW "tasks.jmp.a-resumed", "task A was resumed"
        jmp $

; ---------------------------------------------------------------- task B
task_b:
        xor eax, eax
        str ax
        mov [b_tr], eax
        pushfd
        pop dword [b_eflags]
        movzx eax, word [TSS_B]
        mov [b_link], eax
        TYPE_OF eax, TSS_SEL
        mov [b_main_type], eax
        TYPE_OF eax, SEL_TSSB
        mov [b_b_type], eax
        ; Calling the (busy) main task from task B: #GP(its selector).
        TRY .busy
        call TSS_SEL:0
.busy:  ENDTRY
        mov eax, [exc_vector]
        mov [b_busy_vec], eax
        mov eax, [exc_error]
        mov [b_busy_err], eax
        clts
        iretd                               ; NT=1: back to the previous task
.after:
        FAILNOW "tasks.call.b-resumed", "task B was resumed"
        jmp $

; ---------------------------------------------------------------- the 16-bit task
        bits 16
task16:
        mov [t16_ax], ax
        mov [t16_bx], bx
        mov [t16_sp], sp
        mov ax, cs
        mov [t16_cs], ax
        mov ax, ss
        mov [t16_ss], ax
        str ax
        mov [t16_tr], ax
        mov al, [gdt + SEL_TSS16 + 5]
        and al, TYPE_MASK
        mov [t16_type], al
        push word 0x5A5A                    ; SS:SP-2 = 0x64000 + 0xEFE
        push word 0
        mov ax, 0x6116
        jmp TSS_SEL:0                       ; a 16-bit far JMP to the main TSS
.after:
        jmp $
        bits 32

; ---------------------------------------------------------------- the double-fault task
task_df:
        mov [df_esp], esp
        mov eax, [esp]
        mov [df_err], eax
        xor eax, eax
        str ax
        mov [df_tr], eax
        pushfd
        pop dword [df_eflags]
        movzx eax, word [TSS_DF]
        mov [df_link], eax
        TYPE_OF eax, TSS_SEL
        mov [df_main_type], eax
        TYPE_OF eax, SEL_TSSDF
        mov [df_df_type], eax
        mov dword [df_ran], 1
        ; The interrupted task cannot be resumed (SDM: state undefined after
        ; #DF): rewrite its TSS so that IRET resumes it at .df_done.
        mov dword [TSS_BASE + 0x20], main.df_done
        mov dword [TSS_BASE + 0x24], 0x00000002
        mov eax, [df_main_esp]
        mov [TSS_BASE + 0x38], eax
        mov dword [TSS_BASE + 0x48], KDATA
        mov dword [TSS_BASE + 0x4C], KCODE
        mov dword [TSS_BASE + 0x50], KDATA
        mov dword [TSS_BASE + 0x54], KDATA
        mov dword [TSS_BASE + 0x58], KDATA
        mov dword [TSS_BASE + 0x5C], KDATA
        add esp, 4
        iretd
        jmp $

        align 4
a_tr:           dd 0
a_esp:          dd 0
a_eflags:       dd 0
a_cr0:          dd 0
a_main_type:    dd 0
a_a_type:       dd 0
a_saved_ebx:    dd 0
a_saved_eip:    dd 0
a_link:         dd 0
b_tr:           dd 0
b_eflags:       dd 0
b_link:         dd 0
b_main_type:    dd 0
b_b_type:       dd 0
b_busy_vec:     dd 0
b_busy_err:     dd 0
t16_ax:         dd 0
t16_bx:         dd 0
t16_sp:         dd 0
t16_cs:         dd 0
t16_ss:         dd 0
t16_tr:         dd 0
t16_type:       dd 0
df_main_esp:    dd 0
df_exc_count:   dd 0
df_ran:         dd 0
df_esp:         dd 0
df_err:         dd -1
df_tr:          dd 0
df_eflags:      dd 0
df_link:        dd 0
df_main_type:   dd 0
df_df_type:     dd 0

GDT_BEGIN
gd_tssa:    DESC TSS_A, 0x67, ACC_P|T_TSS32, 0                                 ; 0x40
gd_tssb:    DESC TSS_B, 0x67, ACC_P|T_TSS32, 0                                 ; 0x48
gd_tg:      GATE SEL_TSSB, 0, ACC_P|T_TASKGATE, 0                             ; 0x50
gd_tssdf:   DESC TSS_DF, 0x67, ACC_P|T_TSS32, 0                                ; 0x58
gd_tss16:   DESC TSS_16, 0x2B, ACC_P|T_TSS16, 0                                ; 0x60
gd_stack16: DESC STACK16_BASE, 0xFFFF, ACC_P|ACC_S|ACC_W|ACC_A, 0             ; 0x68
gd_npcode:  DESC 0, 0xFFFFF, ACC_CODE|ACC_R|ACC_A, F_G|F_DB                    ; 0x70
gd_tssnp:   DESC TSS_SHORT, 0x67, T_TSS32, 0                                   ; 0x78
gd_tssshort: DESC TSS_SHORT, 0x50, ACC_P|T_TSS32, 0                            ; 0x80
GDT_END
SEL_TSSA        equ gd_tssa - gdt
SEL_TSSB        equ gd_tssb - gdt
SEL_TASKGATE    equ gd_tg - gdt
SEL_TSSDF       equ gd_tssdf - gdt
SEL_TSS16       equ gd_tss16 - gdt
SEL_STACK16     equ gd_stack16 - gdt
SEL_NPCODE      equ gd_npcode - gdt
SEL_TSSNP       equ gd_tssnp - gdt
SEL_TSSSHORT    equ gd_tssshort - gdt

END_IMAGE
