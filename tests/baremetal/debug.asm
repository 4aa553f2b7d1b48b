; debug.asm — debug exceptions: TF single-stepping (#DB traps, DR6.BS), a
; DR0 instruction breakpoint (a fault, resumed with RF), data breakpoints
; (RW=01 write, RW=11 read/write; traps, DR6.B0), DR7.GD general detect, INT3.
; References: Intel SDM vol. 3 ch. 17 (17.2 debug registers, 17.3.1 #DB
; conditions), 6.15 (interrupts 1 and 3), and the POPF page of vol. 2.
%define PROG "debug"
%include "lib.inc"

DR6_B0          equ 0x0001
DR6_BD          equ 0x2000
DR6_BS          equ 0x4000
DR6_MASK        equ 0x600F                  ; B0-B3, BD, BS
DR7_L0          equ 0x00000001
DR7_GD          equ 0x00002000
DR7_RW0_WRITE   equ 0x00010000
DR7_RW0_RW      equ 0x00030000
DR7_LEN0_4      equ 0x000C0000

; MODE_RF: the #DB handler sets RF in the frame (to resume after an
; instruction breakpoint); MODE_PLAIN / MODE_WATCH: it returns as is.  The
; handler snapshots [bp_counter], or [watch] in MODE_WATCH (never read while
; a read breakpoint is armed on it).
MODE_PLAIN      equ 0
MODE_RF         equ 1
MODE_WATCH      equ 2                       ; like PLAIN, snapshots [watch]

%macro DB_RESET 1 ; mode
        mov dword [db_count], 0
        mov dword [db_mode], %1
        mov edi, db_log
        xor eax, eax
        mov ecx, 8 * 3 + 8
        rep stosd                           ; db_log and db_snap
        mov dr6, eax
%endmacro

main:
        mov eax, 1
        mov ebx, db_handler
        mov ecx, KCODE
        mov edx, ACC_P | T_INTGATE32
        call set_gate

        ; ---------------------------------------------------- TF single-step
        ; The POPF that sets TF is not followed by a trap; every instruction
        ; that starts with TF set is, including the POPF that clears it.
        DB_RESET MODE_PLAIN
        pushfd
        or dword [esp], FL_TF
        popfd
.s1:    mov eax, 1
.s2:    mov ebx, 2
.s3:    pushfd
.s4:    and dword [esp], ~FL_TF
.s5:    popfd
.s6:    nop
        CHECK "debug.tf.first-trap-eip", [db_log + 0 * 12], .s2
        CHECKM "debug.tf.dr6-bs", [db_log + 0 * 12 + 4], DR6_MASK, DR6_BS
        CHECKM "debug.tf.frame-tf", [db_log + 0 * 12 + 8], FL_TF, FL_TF
        CHECK "debug.tf.second-trap-eip", [db_log + 1 * 12], .s3
        CHECK "debug.tf.pushfd-trap-eip", [db_log + 2 * 12], .s4
        CHECK "debug.tf.and-trap-eip", [db_log + 3 * 12], .s5
        CHECK "debug.tf.popf-clearing-tf-traps", [db_log + 4 * 12], .s6
        CHECK "debug.tf.trap-count", [db_count], 5
        CHECKM "debug.tf.handler-tf-clear", [db_handler_efl], FL_TF, 0
        CHECK "debug.tf.executed", ebx, 2

        ; ---------------------------------------------------- DR0 instruction breakpoint
        DB_RESET MODE_RF
        mov dword [bp_counter], 0
        mov eax, .bp
        mov dr0, eax
        mov eax, DR7_L0                     ; RW0 = 00 (execute), LEN0 = 00
        mov dr7, eax
        mov ecx, 2
.bploop:
.bp:    inc dword [bp_counter]
        loop .bploop
        xor eax, eax
        mov dr7, eax
        CHECK "debug.dr0-exec.count", [db_count], 2
        CHECK "debug.dr0-exec.eip", [db_log + 0 * 12], .bp          ; a fault: before
        CHECKM "debug.dr0-exec.dr6-b0", [db_log + 0 * 12 + 4], DR6_MASK, DR6_B0
        CHECK "debug.dr0-exec.not-yet-executed", [db_snap + 0 * 4], 0
        CHECK "debug.dr0-exec.rf-resumes", [db_snap + 1 * 4], 1      ; ran once between
        CHECK "debug.dr0-exec.second-eip", [db_log + 1 * 12], .bp
        CHECK "debug.dr0-exec.executed", [bp_counter], 2

        ; ---------------------------------------------------- data write breakpoint
        DB_RESET MODE_WATCH
        mov dword [watch], 0
        mov eax, watch
        mov dr0, eax
        mov eax, DR7_L0 | DR7_RW0_WRITE | DR7_LEN0_4
        mov dr7, eax
        mov eax, [watch]                    ; a read: no #DB
        mov dword [watch + 4], 1            ; the next dword: no #DB
        CHECK "debug.dr0-write.read-ignored", [db_count], 0
.w1:    mov dword [watch], 0x1234
.w1_after:
        mov byte [watch + 2], 0x56          ; inside the 4-byte range
.w2_after:
        xor eax, eax
        mov dr7, eax
        CHECK "debug.dr0-write.count", [db_count], 2
        CHECK "debug.dr0-write.eip", [db_log + 0 * 12], .w1_after   ; a trap: after
        CHECKM "debug.dr0-write.dr6-b0", [db_log + 0 * 12 + 4], DR6_MASK, DR6_B0
        CHECK "debug.dr0-write.done-before-trap", [db_snap + 0 * 4], 0x1234
        CHECK "debug.dr0-write.byte-in-range", [db_log + 1 * 12], .w2_after
        CHECK "debug.dr0-write.value", [watch], 0x00561234
        ; RW=11: reads trap too.
        DB_RESET MODE_PLAIN
        mov eax, DR7_L0 | DR7_RW0_RW | DR7_LEN0_4
        mov dr7, eax
        mov eax, [watch]
.r1_after:
        xor eax, eax
        mov dr7, eax
        CHECK "debug.dr0-readwrite.count", [db_count], 1
        CHECK "debug.dr0-readwrite.eip", [db_log + 0 * 12], .r1_after
        CHECKM "debug.dr0-readwrite.dr6-b0", [db_log + 0 * 12 + 4], DR6_MASK, DR6_B0

        ; ---------------------------------------------------- general detect
        DB_RESET MODE_PLAIN
        mov eax, DR7_GD
        mov dr7, eax
.gd:    mov eax, dr0                        ; #DB (fault) before the access
        mov esi, eax
        CHECK "debug.gd.count", [db_count], 1
        CHECK "debug.gd.eip", [db_log + 0 * 12], .gd
        CHECKM "debug.gd.dr6-bd", [db_log + 0 * 12 + 4], DR6_MASK, DR6_BD
        mov eax, dr7
        CHECKM "debug.gd.cleared-on-entry", eax, DR7_GD, 0
        CHECK "debug.gd.access-after", esi, watch                  ; DR0 still holds it

        ; ---------------------------------------------------- INT3
        TRY .i3
        int3
.i3:    ENDTRY
        CHECK_EXC "debug.int3", 3, 0
        CHECK "debug.int3.eip", [exc_frame + FR_EIP], .i3           ; a trap: after
        ret

; #DB handler: logs (EIP, DR6, EFLAGS) and a snapshot of the watched
; counter, clears DR6; sets RF in MODE_RF.  Stops runaways after 10 hits.
db_handler:
        push eax
        push ebx
        push ds
        mov ax, KDATA
        mov ds, ax
        pushfd
        pop dword [db_handler_efl]
        mov eax, dr7
        mov [db_dr7_in], eax
        mov ebx, [db_count]
        inc dword [db_count]
        cmp ebx, 8
        jae .nolog
        mov eax, [bp_counter]
        cmp dword [db_mode], MODE_WATCH
        jne .snap
        mov eax, [watch]
.snap:  mov [db_snap + ebx * 4], eax
        imul ebx, ebx, 12
        mov eax, [esp + 12]                 ; EIP
        mov [db_log + ebx], eax
        mov eax, dr6
        mov [db_log + ebx + 4], eax
        mov eax, [esp + 20]                 ; EFLAGS
        mov [db_log + ebx + 8], eax
.nolog: xor eax, eax
        mov dr6, eax
        cmp dword [db_mode], MODE_RF
        jne .norf
        or dword [esp + 20], FL_RF
.norf:  cmp dword [db_count], 10
        jb .ret
        mov dr7, eax                        ; runaway: disarm everything
        and dword [esp + 20], ~FL_TF
.ret:   pop ds
        pop ebx
        pop eax
        iretd

        align 4
db_count:       dd 0
db_mode:        dd 0
db_handler_efl: dd 0
db_dr7_in:      dd 0
db_log:         times 8 * 3 dd 0
db_snap:        times 8 dd 0
bp_counter:     dd 0
watch:          dd 0, 0

GDT_BEGIN
GDT_END

END_IMAGE
