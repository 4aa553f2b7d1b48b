; pm_rings.asm — privilege levels: interrupt vs trap gates, IRET to ring 3,
; system calls through a DPL-3 interrupt gate with the TSS stack switch, a
; call gate with parameter copying and the far RET back out, privileged and
; IOPL-sensitive instructions at CPL 3, the TSS I/O permission bitmap,
; SYSENTER/SYSEXIT.  References: Intel SDM vol. 3 ch. 5, 6, 16 (I/O), and the
; CALL, RET, IRET, INT n, SYSENTER, SYSEXIT pages of vol. 2.
%define PROG "pm_rings"
%include "lib.inc"

SYSENTER_STACK  equ 0x9E000
MSR_SYSENTER_CS  equ 0x174
MSR_SYSENTER_ESP equ 0x175
MSR_SYSENTER_EIP equ 0x176

main:
        ; IDT: 0x40 interrupt gate, 0x41 trap gate (DPL 0), 0x80 the
        ; system call (interrupt gate, DPL 3).
        mov eax, 0x40
        mov ebx, h_int
        mov ecx, KCODE
        mov edx, ACC_P | T_INTGATE32
        call set_gate
        mov eax, 0x41
        mov ebx, h_trap
        mov edx, ACC_P | T_TRAPGATE32
        call set_gate
        mov eax, 0x80
        mov ebx, h_syscall
        mov edx, ACC_P | ACC_DPL(3) | T_INTGATE32
        call set_gate

        ; ---------------------------------------------------- gates and IF
        sti
        int 0x40
.ret40: int 0x41
        cli
        CHECKM "rings.intgate.if-cleared", [int_eflags_in], FL_IF, 0
        CHECKM "rings.intgate.if-pushed", [int_frame + 8], FL_IF, FL_IF
        CHECK "rings.intgate.eip-pushed", [int_frame], .ret40
        CHECKM "rings.intgate.cs-pushed", [int_frame + 4], 0xFFFF, KCODE
        CHECKM "rings.trapgate.if-kept", [trap_eflags_in], FL_IF, FL_IF
        CHECKM "rings.trapgate.if-pushed", [trap_eflags_pushed], FL_IF, FL_IF

        ; ---------------------------------------------------- IRET to ring 3, INT 0x80 back
        RING3 0x00000002, USTACK_TOP - 0x40
.r3a:   mov eax, 0                      ; (ring 3; no flag changes before INT)
        mov ax, cs
        mov [r3_cs], eax
        mov ax, ss
        mov [r3_ss], eax
        mov [r3_esp], esp
        mov eax, 0x1234
        int 0x80
.r3a_ret:
        mov [r3_eax], eax
        RING3_END
        CHECK_NOEXC "rings.ring3.no-fault"
        CHECK "rings.ring3.cs", [r3_cs], UCODE | 3
        CHECK "rings.ring3.ss", [r3_ss], UDATA | 3
        CHECK "rings.ring3.esp", [r3_esp], USTACK_TOP - 0x40
        CHECK "rings.syscall.cs", [sys_cs], KCODE
        CHECK "rings.syscall.ss", [sys_ss], KDATA          ; TSS.SS0
        CHECK "rings.syscall.esp", [sys_esp], ESP0_TOP - 20 ; TSS.ESP0 - frame
        CHECK "rings.syscall.frame.eip", [sys_frame], .r3a_ret
        CHECKM "rings.syscall.frame.cs", [sys_frame + 4], 0xFFFF, UCODE | 3
        CHECK "rings.syscall.frame.eflags", [sys_frame + 8], 0x00000002
        CHECK "rings.syscall.frame.esp", [sys_frame + 12], USTACK_TOP - 0x40
        CHECKM "rings.syscall.frame.ss", [sys_frame + 16], 0xFFFF, UDATA | 3
        CHECK "rings.syscall.eax-in", [sys_eax], 0x1234
        CHECK "rings.syscall.result", [r3_eax], 0x5CA11ED

        ; ---------------------------------------------------- call gate, parameters, far RET out
        mov dword [r3_gs], KDATA        ; GS with a DPL-0 segment: IRET to ring 3 nulls it
        RING3 0x00000002, USTACK_TOP
.r3b:   xor eax, eax                    ; (ring 3)
        mov ax, gs
        mov [r3_gs_seen], eax
        mov [r3_esp], esp
        push dword 0x11111111
        push dword 0x22222222
        call SEL_CALLGATE | 3 : 0
.r3b_ret:
        mov [r3_esp2], esp
        xor eax, eax
        mov ax, cs
        mov [r3_cs], eax
        mov ax, fs
        mov [r3_fs], eax
        mov ax, ds
        mov [r3_ds], eax
        RING3_END
        mov dword [r3_gs], UDATA | 3
        CHECK_NOEXC "rings.callgate.no-fault"
        CHECK "rings.iret-outer.nulls-gs", [r3_gs_seen], 0
        CHECK "rings.callgate.cs", [cg_cs], KCODE
        CHECK "rings.callgate.ss", [cg_ss], KDATA
        CHECK "rings.callgate.esp", [cg_esp], ESP0_TOP - 24
        CHECK "rings.callgate.frame.eip", [cg_frame], .r3b_ret
        CHECKM "rings.callgate.frame.cs", [cg_frame + 4], 0xFFFF, UCODE | 3
        CHECK "rings.callgate.frame.param-last", [cg_frame + 8], 0x22222222
        CHECK "rings.callgate.frame.param-first", [cg_frame + 12], 0x11111111
        CHECK "rings.callgate.frame.esp", [cg_frame + 16], USTACK_TOP - 8
        CHECKM "rings.callgate.frame.ss", [cg_frame + 20], 0xFFFF, UDATA | 3
        CHECK "rings.retf-outer.esp", [r3_esp2], USTACK_TOP   ; RET 8 pops the parameters
        CHECK "rings.retf-outer.cs", [r3_cs], UCODE | 3
        CHECK "rings.retf-outer.nulls-fs", [r3_fs], 0       ; FS held a DPL-0 segment
        CHECK "rings.retf-outer.keeps-ds", [r3_ds], UDATA | 3

        ; ---------------------------------------------------- conforming code from ring 3
        RING3 0x00000002, USTACK_TOP
.r3c:   call SEL_CONF0 : conf_fn        ; (ring 3) DPL 0 <= CPL 3: allowed
        RING3_END
        CHECK_NOEXC "rings.conforming.call"
        CHECK "rings.conforming.cpl-kept", [conf_cs], SEL_CONF0 | 3
        ; A direct far call from ring 3 to non-conforming ring-0 code: #GP(sel).
        RING3 0x00000002, USTACK_TOP
.r3d:   call KCODE : conf_fn            ; (ring 3)
        RING3_END
        CHECK_EXC "rings.call-ring0-direct", 13, KCODE
        ; INT n to a DPL-0 gate from ring 3: #GP(vector * 8 + 2).
        RING3 0x00000002, USTACK_TOP
.r3e:   int 0x40                        ; (ring 3)
        RING3_END
        CHECK_EXC "rings.int-gate-dpl0", 13, 0x40 * 8 + 2

        ; ---------------------------------------------------- privileged instructions at CPL 3
        RING3 0x00000002, USTACK_TOP
.r3f:   cli                             ; (ring 3, IOPL 0)
        RING3_END
        CHECK_EXC "rings.cpl3.cli", 13, 0
        CHECK "rings.cpl3.cli.eip", [exc_frame + FR_EIP], .r3f
        CHECKM "rings.cpl3.cli.cs", [exc_frame + FR_CS], 0xFFFF, UCODE | 3
        CHECK "rings.cpl3.cli.esp", [exc_frame + FR_ESP], USTACK_TOP
        CHECK "rings.cpl3.cli.frame-at-esp0", [exc_esp], ESP0_TOP - 20
        RING3 0x00000002, USTACK_TOP
.r3g:   sti                             ; (ring 3, IOPL 0)
        RING3_END
        CHECK_EXC "rings.cpl3.sti", 13, 0
        RING3 0x00000002, USTACK_TOP
.r3h:   hlt                             ; (ring 3)
        RING3_END
        CHECK_EXC "rings.cpl3.hlt", 13, 0
        RING3 0x00000002, USTACK_TOP
.r3i:   mov eax, cr0                    ; (ring 3)
        mov cr0, eax
        RING3_END
        CHECK_EXC "rings.cpl3.mov-from-cr0", 13, 0
        RING3 0x00000002, USTACK_TOP
.r3j:   xor eax, eax                    ; (ring 3)
        mov cr0, eax
        RING3_END
        CHECK_EXC "rings.cpl3.mov-to-cr0", 13, 0
        RING3 0x00000002, USTACK_TOP
.r3k:   lidt [idtr]                     ; (ring 3)
        RING3_END
        CHECK_EXC "rings.cpl3.lidt", 13, 0
        ; With IOPL 3, CLI and STI are allowed at CPL 3.
        RING3 0x00000002 | FL_IOPL3, USTACK_TOP
.r3l:   sti                             ; (ring 3, IOPL 3)
        pushfd
        cli
        pop dword [r3_flags]
        pushfd
        pop dword [r3_flags2]
        RING3_END
        CHECK_NOEXC "rings.cpl3.iopl3-cli-sti"
        CHECKM "rings.cpl3.iopl3-sti", [r3_flags], FL_IF, FL_IF
        CHECKM "rings.cpl3.iopl3-cli", [r3_flags2], FL_IF, 0
        ; POPF at CPL 3 cannot change IOPL (nor IF when CPL > IOPL): no fault.
        RING3 0x00000002 | FL_IOPL(1), USTACK_TOP
.r3m:   push dword 0x00003202           ; (ring 3) IOPL 3 and IF
        popfd
        pushfd
        pop dword [r3_flags]
        RING3_END
        CHECK_NOEXC "rings.cpl3.popf"
        CHECKM "rings.cpl3.popf-keeps-iopl-if", [r3_flags], FL_IOPL3 | FL_IF, FL_IOPL(1)

        ; ---------------------------------------------------- I/O permission bitmap
        mov eax, 0xE9
        call iopb_allow                 ; port 0xE9 allowed, 0xEA and 0xF4 not
        RING3 0x00000002, USTACK_TOP    ; IOPL 0 < CPL 3: the bitmap decides
.r3n:   mov esi, ring3_line             ; (ring 3) prints through port 0xE9
.r3n_l: mov al, [esi]
        test al, al
        jz .r3n_d
        out 0xE9, al
        inc esi
        jmp .r3n_l
.r3n_d:
        RING3_END
        CHECK_NOEXC "rings.iopb.allowed-port"
        RING3 0x00000002, USTACK_TOP
.r3o:   mov al, CHECKNUM                ; (ring 3) were the OUT let through, the
        out 0xF4, al                    ; run would end with this check's number
        RING3_END
        CHECK_EXC "rings.iopb.denied-port", 13, 0
        RING3 0x00000002, USTACK_TOP
.r3p:   mov dx, 0xE9                    ; (ring 3) a word access needs the bits
        mov ax, 0x0A0A                  ; of 0xE9 and 0xEA
        out dx, ax
        RING3_END
        CHECK_EXC "rings.iopb.word-straddles-denied", 13, 0
        ; Ring 0 is not subject to the bitmap.
        mov eax, 0xE9
        bts [TSS_BASE + TSS_IOPB], eax
        TRY .xq
        PRINT {"ring0: port 0xE9 is denied in the bitmap again; CPL 0 <= IOPL ignores it", 10}
.xq:    ENDTRY
        CHECK_NOEXC "rings.iopb.cpl0-ignores-bitmap"

        ; ---------------------------------------------------- SYSENTER / SYSEXIT
        mov ecx, MSR_SYSENTER_CS
        mov eax, KCODE
        xor edx, edx
        wrmsr
        mov ecx, MSR_SYSENTER_ESP
        mov eax, SYSENTER_STACK
        wrmsr
        mov ecx, MSR_SYSENTER_EIP
        mov eax, sysenter_target
        wrmsr
        mov ecx, MSR_SYSENTER_EIP
        rdmsr
        CHECK "rings.sysenter.msr-readback", eax, sysenter_target
        RING3 0x00000002 | FL_IF, USTACK_TOP
.r3r:   mov ecx, USTACK_TOP - 0x100     ; (ring 3) ESP and EIP for SYSEXIT
        mov edx, .r3r_back
        mov eax, 0x5E
        sysenter
.r3r_back:
        mov [r3_eax], eax
        xor eax, eax
        mov ax, cs
        mov [r3_cs], eax
        mov ax, ss
        mov [r3_ss], eax
        mov [r3_esp], esp
        pushfd
        pop dword [r3_flags]
        RING3_END
        CHECK_NOEXC "rings.sysenter.round-trip"
        CHECK "rings.sysenter.cs", [se_cs], KCODE
        CHECK "rings.sysenter.ss", [se_ss], KDATA
        CHECK "rings.sysenter.esp", [se_esp], SYSENTER_STACK
        CHECKM "rings.sysenter.if-cleared", [se_eflags], FL_IF, 0
        CHECK "rings.sysenter.eax", [se_eax], 0x5E
        CHECK "rings.sysexit.cs", [r3_cs], UCODE | 3
        CHECK "rings.sysexit.ss", [r3_ss], UDATA | 3
        CHECK "rings.sysexit.esp", [r3_esp], USTACK_TOP - 0x100
        CHECK "rings.sysexit.eax", [r3_eax], 0xE5
        ; SYSEXIT does not touch EFLAGS: IF stays as SYSENTER left it (clear).
        CHECKM "rings.sysexit.if-still-clear", [r3_flags], FL_IF, 0
        ; SYSEXIT at CPL 3: #GP(0).
        RING3 0x00000002, USTACK_TOP
.r3s:   sysexit                         ; (ring 3)
        RING3_END
        CHECK_EXC "rings.sysexit.cpl3", 13, 0
        ; SYSENTER with IA32_SYSENTER_CS = 0: #GP(0).
        mov ecx, MSR_SYSENTER_CS
        xor eax, eax
        xor edx, edx
        wrmsr
        RING3 0x00000002, USTACK_TOP
.r3t:   mov ecx, USTACK_TOP             ; (ring 3)
        mov edx, .r3t_back
        sysenter
.r3t_back:
        RING3_END
        CHECK_EXC "rings.sysenter.cs-zero", 13, 0
        ret

; ---------------------------------------------------------------- handlers
h_int:  pushfd
        pop dword [int_eflags_in]
        push esi
        push edi
        push ecx
        lea esi, [esp + 12]
        mov edi, int_frame
        mov ecx, 3
        rep movsd
        pop ecx
        pop edi
        pop esi
        iretd

h_trap: pushfd
        pop dword [trap_eflags_in]
        push eax
        mov eax, [esp + 12]
        mov [trap_eflags_pushed], eax
        pop eax
        iretd

; int 0x80 from ring 3: DS is still the ring-3 UDATA (flat, writable).
h_syscall:
        mov [sys_esp], esp
        mov [sys_eax], eax
        xor eax, eax
        mov ax, ss
        mov [sys_ss], eax
        mov ax, cs
        mov [sys_cs], eax
        push esi
        push edi
        push ecx
        lea esi, [esp + 12]
        mov edi, sys_frame
        mov ecx, 5
        rep movsd
        pop ecx
        pop edi
        pop esi
        mov eax, 0x5CA11ED
        iretd

; Target of the call gate (ring 0).
cg_target:
        mov [cg_esp], esp
        push eax
        xor eax, eax
        mov ax, ss
        mov [cg_ss], eax
        mov ax, cs
        mov [cg_cs], eax
        pop eax
        push esi
        push edi
        push ecx
        lea esi, [esp + 12]
        mov edi, cg_frame
        mov ecx, 6
        rep movsd
        pop ecx
        pop edi
        pop esi
        mov ax, KDATA                   ; a DPL-0 segment in FS: RET nulls it
        mov fs, ax
        retf 8

conf_fn:
        push eax
        xor eax, eax
        mov ax, cs
        mov [conf_cs], eax
        pop eax
        retf

sysenter_target:
        mov [se_esp], esp
        mov [se_eax], eax
        pushfd
        pop dword [se_eflags]
        xor eax, eax
        mov ax, cs
        mov [se_cs], eax
        mov ax, ss
        mov [se_ss], eax
        mov eax, 0xE5
        sysexit                         ; ECX and EDX are still the ring-3 values

        align 4
int_eflags_in:  dd 0
int_frame:      dd 0, 0, 0
trap_eflags_in: dd 0
trap_eflags_pushed: dd 0
r3_cs:          dd 0
r3_ss:          dd 0
r3_esp:         dd 0
r3_esp2:        dd 0
r3_eax:         dd 0
r3_fs:          dd 0
r3_ds:          dd 0
r3_gs_seen:     dd 0
r3_flags:       dd 0
r3_flags2:      dd 0
sys_esp:        dd 0
sys_eax:        dd 0
sys_ss:         dd 0
sys_cs:         dd 0
sys_frame:      times 5 dd 0
cg_esp:         dd 0
cg_ss:          dd 0
cg_cs:          dd 0
cg_frame:       times 6 dd 0
conf_cs:        dd 0
se_esp:         dd 0
se_eax:         dd 0
se_eflags:      dd 0
se_cs:          dd 0
se_ss:          dd 0
ring3_line:     db "ring3: this line comes from CPL 3 through port 0xE9 (I/O bitmap)", 10, 0

GDT_BEGIN
gd_callg:   GATE KCODE, ABS(cg_target), ACC_P|ACC_DPL(3)|T_CALLGATE32, 2       ; 0x40
gd_conf0:   DESC 0, 0xFFFFF, ACC_P|ACC_CODE|ACC_C|ACC_R|ACC_A, F_G|F_DB        ; 0x48
GDT_END
SEL_CALLGATE    equ gd_callg - gdt
SEL_CONF0       equ gd_conf0 - gdt

END_IMAGE
