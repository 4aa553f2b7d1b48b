; v86.asm — virtual-8086 mode (no VME): entering it with IRET (EFLAGS.VM=1),
; real-mode segment arithmetic, INT n through the protected-mode IDT with
; IOPL 3 (the V86 frame with ES/DS/FS/GS, segment registers zeroed), the
; IOPL-sensitive instructions faulting into the monitor with IOPL < 3, I/O
; checked against the TSS bitmap only, and leaving V86 mode for the monitor.
; References: Intel SDM vol. 3 ch. 20 (8086 emulation: 20.2, 20.3), 6.12,
; and the INT n, IRET, PUSHF, POPF, CLI, STI, IN, OUT pages of vol. 2.
%define PROG "v86"
%include "lib.inc"

V86_SS          equ 0x7000
V86_SP          equ 0xFFF0
V86_DS          equ 0x2000
V86_ES          equ 0x3000
V86_FS          equ 0x4000
V86_GS          equ 0x5000

; V86 eflags ... 16-bit code ... V86_END: runs the code in V86 mode with
; CS = 0 (IP = the label's address), SS:SP = V86_SS:V86_SP and
; DS/ES/FS/GS = V86_DS/ES/FS/GS; the code ends with HLT, whose #GP brings
; the monitor back after V86_END.
%macro V86 1
%push v86
        mov esi, %$code
        mov ebx, %1
        call run_v86
        jmp %$end
        bits 16
%$code:
%endmacro
%macro V86_END 0
        hlt
        bits 32
%$end:
%pop
%endmacro

; The V86 code stores its results through CS (segment 0, flat below 64 KiB).
%define R(x) [cs:x]

main:
        ; IDT: #GP goes to the monitor; 0x30 is an interrupt gate with
        ; DPL 3 (reachable by INT n from V86 with IOPL 3), 0x32 has DPL 0.
        mov eax, 13
        mov ebx, v86_gp
        mov ecx, KCODE
        mov edx, ACC_P | T_INTGATE32
        call set_gate
        mov eax, 0x30
        mov ebx, v86_int30
        mov edx, ACC_P | ACC_DPL(3) | T_INTGATE32
        call set_gate
        mov eax, 0x32
        mov ebx, v86_int30
        mov edx, ACC_P | T_INTGATE32
        call set_gate
        mov eax, 0xE9
        call iopb_allow                 ; 0xE9 allowed, 0xF4 denied
        mov word [V86_ES * 16 + 0x20], 0xBEEF

        ; ---------------------------------------------------- IOPL 3
        V86 FL_VM | FL_IOPL3 | 0x2
.a0:    mov word [0x0010], 0x55AA       ; DS = 0x2000: linear 0x20010
        mov ax, [es:0x0020]             ; ES = 0x3000: linear 0x30020
        mov R(va_es_read), ax
        mov ax, cs
        mov R(va_cs), ax
        mov ax, ss
        mov R(va_ss), ax
        mov R(va_sp), sp
        push word 0x1234                ; SS:SP-2 = linear 0x7FFEE
        push gs
        mov ax, 0x7FFE                  ; read it back as 7FFE:000E
        mov gs, ax
        mov ax, [gs:0x000E]
        mov R(va_stackword), ax
        pop gs
        pop bx
        jmp 0x0100:(.a1 - 0x1000)       ; CS = 0x100: the same linear code
.a1:    mov ax, cs
        mov [cs:va_cs2 - 0x1000], ax    ; CS base is 0x1000 here
        jmp 0x0000:.a2
.a2:    mov ax, 0x1111
.a_int: int 0x30                        ; through the protected-mode IDT
.a_ret: mov R(va_int_ax), ax
        sti
        pushf                           ; IOPL 3: not sensitive
        cli
        pop ax
        mov R(va_pushf), ax
        push word 0x0002                ; POPF cannot change IOPL in V86
        popf
        pushf
        pop ax
        mov R(va_popf), ax
        pushf                           ; a real-mode style IRET
        push cs
        push word .a3
        iret
        mov word R(va_iret), 0xDEAD
.a3:    mov word R(va_iret), 0x1111
        xor ax, ax
        mov ds, ax
        mov si, v86_line
.a4:    lodsb                           ; OUT to 0xE9: allowed by the bitmap
        test al, al
        jz .a5
        out 0xE9, al
        jmp .a4
.a5:    mov al, CHECKNUM                ; denied by the bitmap even with IOPL 3:
.a_out: out 0xF4, al                    ; were it let through, the run would end
        mov word R(va_after_out), 1     ; with the number of v86.iopl3.out-denied
        V86_END
        CHECK "v86.iopl3.out-denied.no-exit", [v86_log_n], 1
        CHECK "v86.iopl3.out-denied", [v86_log], 0xE6
        CHECK "v86.iopl3.out-denied.error", [v86_log + 4], 0
        CHECK "v86.iopl3.out-denied.ip", [v86_log + 8], .a_out
        CHECK "v86.iopl3.out-skipped", [va_after_out], 1
        CHECKM "v86.segment.ds-write", [V86_DS * 16 + 0x10], 0xFFFF, 0x55AA
        CHECK "v86.segment.es-read", [va_es_read], 0xBEEF
        CHECK "v86.segment.cs", [va_cs], 0
        CHECK "v86.segment.ss", [va_ss], V86_SS
        CHECK "v86.segment.sp", [va_sp], V86_SP
        CHECK "v86.segment.stack-write", [va_stackword], 0x1234
        CHECK "v86.segment.far-jmp-cs", [va_cs2], 0x0100
        CHECK "v86.int.handler-ran", [i30_count], 1
        CHECK "v86.int.returned-ax", [va_int_ax], 0x3030
        CHECK "v86.int.ax-in", [i30_eax], 0x1111
        CHECK "v86.int.cs", [i30_cs], KCODE
        CHECK "v86.int.ss", [i30_ss], KDATA
        CHECK "v86.int.esp", [i30_esp], ESP0_TOP - 36
        CHECK "v86.int.ds-zeroed", [i30_ds], 0
        CHECK "v86.int.es-zeroed", [i30_es], 0
        CHECK "v86.int.fs-zeroed", [i30_fs], 0
        CHECK "v86.int.gs-zeroed", [i30_gs], 0
        CHECK "v86.int.frame.eip", [i30_frame + FR_EIP], .a_ret
        CHECKM "v86.int.frame.cs", [i30_frame + FR_CS], 0xFFFF, 0
        CHECKM "v86.int.frame.eflags", [i30_frame + FR_EFL], FL_VM | FL_IOPL3, FL_VM | FL_IOPL3
        CHECK "v86.int.frame.esp", [i30_frame + FR_ESP], V86_SP
        CHECKM "v86.int.frame.ss", [i30_frame + FR_SS], 0xFFFF, V86_SS
        CHECKM "v86.int.frame.es", [i30_frame + FR_ES], 0xFFFF, V86_ES
        CHECKM "v86.int.frame.ds", [i30_frame + FR_DS], 0xFFFF, V86_DS
        CHECKM "v86.int.frame.fs", [i30_frame + FR_FS], 0xFFFF, V86_FS
        CHECKM "v86.int.frame.gs", [i30_frame + FR_GS], 0xFFFF, V86_GS
        CHECKM "v86.int.if-cleared", [i30_eflags], FL_IF, 0
        CHECKM "v86.iopl3.pushf-iopl", [va_pushf], FL_IOPL3, FL_IOPL3
        CHECKM "v86.iopl3.sti", [va_pushf], FL_IF, FL_IF
        CHECKM "v86.iopl3.popf-keeps-iopl", [va_popf], FL_IOPL3, FL_IOPL3
        CHECK "v86.iopl3.iret", [va_iret], 0x1111
        CHECK "v86.exit.vector", [v86_exit_vec], 13
        CHECK "v86.exit.error", [v86_exit_frame], 0
        CHECKM "v86.exit.frame-vm", [v86_exit_frame + 4 + FR_EFL], FL_VM, FL_VM
        xor eax, eax
        mov ax, cs
        CHECK "v86.exit.back-in-pm", eax, KCODE

        ; ---------------------------------------------------- IOPL 0: sensitive instructions fault
        mov dword [i30_count], 0
        V86 FL_VM | FL_IOPL(0) | 0x2
.b0:    cli
.b1:    sti
.b2:    pushf
.b3:    popf
.b4:    int 0x30
.b5:    iret
.b6:    in al, 0xE9                     ; allowed: I/O is not IOPL-sensitive in V86
        mov al, CHECKNUM
.b7:    out 0xF4, al                    ; denied by the bitmap
        mov word R(vb_done), 1
        V86_END
        CHECK "v86.iopl0.fault-count", [v86_log_n], 7
        CHECK "v86.iopl0.cli", [v86_log + 0 * 12], 0xFA
        CHECK "v86.iopl0.cli.ip", [v86_log + 0 * 12 + 8], .b0
        CHECK "v86.iopl0.sti", [v86_log + 1 * 12], 0xFB
        CHECK "v86.iopl0.pushf", [v86_log + 2 * 12], 0x9C
        CHECK "v86.iopl0.popf", [v86_log + 3 * 12], 0x9D
        CHECK "v86.iopl0.int", [v86_log + 4 * 12], 0xCD
        CHECK "v86.iopl0.int.ip", [v86_log + 4 * 12 + 8], .b4
        CHECK "v86.iopl0.iret", [v86_log + 5 * 12], 0xCF
        CHECK "v86.iopl0.out-denied", [v86_log + 6 * 12], 0xE6
        CHECK "v86.iopl0.out-denied.ip", [v86_log + 6 * 12 + 8], .b7
        mov eax, [v86_log + 1 * 12 + 4]
        or eax, [v86_log + 0 * 12 + 4]
        or eax, [v86_log + 2 * 12 + 4]
        or eax, [v86_log + 3 * 12 + 4]
        or eax, [v86_log + 4 * 12 + 4]
        or eax, [v86_log + 5 * 12 + 4]
        CHECK "v86.iopl0.error-codes-zero", eax, 0
        CHECK "v86.iopl0.int-not-delivered", [i30_count], 0
        CHECK "v86.iopl0.done", [vb_done], 1

        ; ---------------------------------------------------- IOPL 3, INT to a DPL-0 gate
        V86 FL_VM | FL_IOPL3 | 0x2
.c0:    int 0x32
        V86_END
        CHECK "v86.int-gate-dpl0.count", [v86_log_n], 1
        CHECK "v86.int-gate-dpl0", [v86_log], 0xCD
        CHECK "v86.int-gate-dpl0.error", [v86_log + 4], 0x32 * 8 + 2
        CHECK "v86.int-gate-dpl0.not-delivered", [i30_count], 0
        ret

; ---------------------------------------------------------------- monitor
; run_v86: ESI entry IP (segment 0), EBX EFLAGS (with VM).  Returns when the
; V86 code executes HLT.  Clears the fault log first.
run_v86:
        pushad
        mov dword [v86_log_n], 0
        mov [v86_saved_esp], esp
        push dword V86_GS
        push dword V86_FS
        push dword V86_DS
        push dword V86_ES
        push dword V86_SS
        push dword V86_SP
        push ebx
        push dword 0
        push esi
        iretd

; #GP: from V86 mode, logs (opcode, error code, IP) and skips the
; instruction, or leaves V86 mode on HLT; from protected mode, the usual
; catcher.
v86_gp:
        test dword [ss:esp + 12], FL_VM
        jz exc_stubs + 13 * 16
        pushad
        mov ax, KDATA
        mov ds, ax
        mov es, ax
        movzx eax, word [esp + 32 + 8]  ; CS
        shl eax, 4
        movzx ebx, word [esp + 32 + 4]  ; IP
        add eax, ebx
        movzx ecx, byte [eax]           ; the opcode
        cmp cl, 0xF4
        je .exit
        mov edx, [v86_log_n]
        cmp edx, 16
        jae .full
        imul edx, edx, 12
        mov [v86_log + edx], ecx
        mov eax, [esp + 32]
        mov [v86_log + edx + 4], eax
        mov [v86_log + edx + 8], ebx
.full:  inc dword [v86_log_n]
        mov ebx, 1
        cmp cl, 0xCD                    ; INT imm8
        je .two
        cmp cl, 0xE6                    ; OUT imm8, AL
        je .two
        cmp cl, 0xE4                    ; IN AL, imm8
        jne .skip
.two:   mov ebx, 2
.skip:  add [esp + 32 + 4], bx
        popad
        add esp, 4                      ; the error code
        iretd                           ; back to V86 (pops ES, DS, FS, GS too)
.exit:  mov dword [v86_exit_vec], 13
        lea esi, [esp + 32]
        mov edi, v86_exit_frame
        mov ecx, 10
        rep movsd
        mov ax, KDATA
        mov fs, ax
        mov gs, ax
        mov esp, [v86_saved_esp]
        popad
        ret

; INT 0x30 from V86 mode (IOPL 3): records the frame and what the handler
; sees; returns AX = 0x3030.
v86_int30:
        mov [ss:i30_eax], eax
        mov [ss:i30_esp], esp
        xor eax, eax
        mov ax, ds
        mov [ss:i30_ds], eax
        mov ax, es
        mov [ss:i30_es], eax
        mov ax, fs
        mov [ss:i30_fs], eax
        mov ax, gs
        mov [ss:i30_gs], eax
        mov ax, cs
        mov [ss:i30_cs], eax
        mov ax, ss
        mov [ss:i30_ss], eax
        pushfd
        pop dword [ss:i30_eflags]
        mov ax, KDATA
        mov ds, ax
        mov es, ax
        lea esi, [esp]
        mov edi, i30_frame
        mov ecx, 9
        rep movsd
        inc dword [i30_count]
        mov eax, 0x3030
        iretd

        align 4
v86_saved_esp:  dd 0
v86_log_n:      dd 0
v86_log:        times 16 * 3 dd 0
v86_exit_vec:   dd 0
v86_exit_frame: times 10 dd 0
i30_count:      dd 0
i30_eax:        dd 0
i30_esp:        dd 0
i30_ds:         dd -1
i30_es:         dd -1
i30_fs:         dd -1
i30_gs:         dd -1
i30_cs:         dd 0
i30_ss:         dd 0
i30_eflags:     dd 0
i30_frame:      times 9 dd 0
va_es_read:     dd 0
va_cs:          dd 0xFFFF
va_ss:          dd 0
va_sp:          dd 0
va_cs2:         dd 0
va_stackword:   dd 0
va_int_ax:      dd 0
va_pushf:       dd 0
va_popf:        dd 0
va_iret:        dd 0
va_after_out:   dd 0
vb_done:        dd 0
v86_line:       db "v86: this line comes from virtual-8086 mode through port 0xE9 (I/O bitmap)", 10, 0

GDT_BEGIN
GDT_END

END_IMAGE
