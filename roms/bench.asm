; roms/bench.asm — the integer-loop benchmark for `make bench`: a tight
; real-mode loop of ALU work, then the exit device.  The run is bounded by
; --max-insns, so the loop never needs to end by itself.
        bits 16
        org 0
start:  xor ax, ax
        mov ss, ax
        mov sp, 0x7c00
        mov ds, ax
        xor ebx, ebx
        xor edx, edx
.loop:  add ebx, 3
        xor edx, ebx
        mov [0x500], bx
        shl edx, 1
        sub ax, [0x500]
        inc cx
        jmp .loop
        times 0xfff0 - ($ - $$) db 0xff
        jmp 0xf000:start
        times 0x10000 - ($ - $$) db 0xff
