/*
 * vecfile.h - reader for SingleStepTests CPU test vectors.
 *
 * Reads the binary MOO format (https://github.com/dbalsom/moo, version 1.x)
 * and the JSON form produced by moo2json, either of them optionally
 * gzip-compressed, plus the suite's metadata.json (undefined-flag masks per
 * opcode) and revocation_list.txt.
 *
 * The files come from outside the project, so every length and count read
 * from them is checked against the data actually present: a corrupt or
 * truncated file yields an error naming the file and the offset or test,
 * never a crash or an allocation larger than the file itself.
 *
 * No global state: several files may be open at once.
 */
#ifndef AMBER_UI_VECFILE_H
#define AMBER_UI_VECFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Register order used by the MOO REGS mask bits. */
enum vec_reg {
    VR_AX, VR_BX, VR_CX, VR_DX, VR_CS, VR_SS, VR_DS, VR_ES,
    VR_SP, VR_BP, VR_SI, VR_DI, VR_IP, VR_FLAGS, VR_COUNT
};

/* Mask with every register of enum vec_reg present (initial states). */
#define VEC_ALL_REGS ((uint16_t)((1u << VR_COUNT) - 1))

/* Longest instruction byte string kept (the 286 stops at 10 with #UD, but
 * prefixes before the fault can make the recorded string longer). */
#define VEC_MAX_BYTES 32

/* "ax", "bx", ... "flags" as in the JSON files; "?" out of range. */
const char *vec_reg_name(enum vec_reg r);

struct vec_ram {
    uint32_t addr;
    uint8_t value;
};

struct vec_state {
    uint16_t mask;              /* bit i set: regs[i] present */
    uint16_t regs[VR_COUNT];    /* absent registers read as 0 */
    struct vec_ram *ram;        /* n_ram entries, in file order */
    size_t n_ram;
};

struct vec_test {
    uint32_t index;             /* index within its file (MOO) or group */
    char *name;                 /* disassembly, never NULL after vec_next */
    uint8_t bytes[VEC_MAX_BYTES];
    size_t n_bytes;
    struct vec_state init, final;  /* final lists only what changed */
    int exception;              /* -1 when none; else vector number */
    uint32_t exc_flags_addr;    /* address of FLAGS pushed, from EXCP */
    uint32_t n_cycles;          /* bus cycles recorded (CYCL / "cycles") */
    char hash[41];              /* lowercase hex SHA-1, "" if absent */
    /* Opcode key the test is filed under in a keyed JSON file ("F7.6");
     * "" for MOO files and plain-array JSON (see vec_key_from_path). */
    char group[16];
};

enum vec_format { VEC_FORMAT_MOO, VEC_FORMAT_JSON };

struct vec_file;    /* opaque */

/*
 * Opens a .MOO, .MOO.gz, .json or .json.gz file.  Compression is detected
 * by the gzip magic bytes, not the name; the format by the "MOO " magic,
 * anything else is parsed as JSON: either an object keyed by opcode whose
 * values are arrays of tests, or a plain array of tests.  MOO files are
 * streamed one test at a time; JSON text is held in memory, but only one
 * test is decoded at a time.  Returns NULL with a message in err.
 */
struct vec_file *vec_open(const char *path, char *err, size_t errlen);

/*
 * Reads the next test into *t (which need not be initialised; its previous
 * contents are NOT freed, call vec_test_free first).  Returns 1 with *t
 * filled, 0 at the end, -1 on error with a message in err naming the file
 * and the offset/test.  After 0 or -1, *t is empty and further calls repeat
 * the result.  A MOO file that ends before the test count its header
 * announces is an error, not a short success.
 */
int vec_next(struct vec_file *f, struct vec_test *t, char *err, size_t errlen);

/* Frees what *t owns and empties it; safe on an emptied or zeroed test. */
void vec_test_free(struct vec_test *t);

/* Test count a MOO header announces; -1 for JSON, which has none. */
int64_t vec_count(const struct vec_file *f);
enum vec_format vec_format(const struct vec_file *f);
void vec_close(struct vec_file *f);

/*
 * Opcode key of a test file from its name: ".../F6.4.MOO.gz" gives "F6.4",
 * ".../0F01.json" gives "0F01" (uppercase).  Returns 0, or -1 if the name
 * does not look like <2 or 4 hex digits>[.<reg 0-7>].<moo|json>[...].
 */
int vec_key_from_path(const char *path, char *key, size_t keylen);

/*
 * metadata.json: {"opcodes": {"F6": {"reg": {"4": {"status": ...,
 * "flags-mask": 65323}}}, "08": {"status": ..., "flags-mask": 65519}}}.
 * The structure is validated on load, so lookups cannot fail.
 */
struct vec_meta;
struct vec_meta *vec_meta_load(const char *path, char *err, size_t errlen);
/*
 * Flags AND-mask (undefined flags cleared) for an opcode key like "F6.4",
 * "00" or "0F01.2" (hex case does not matter); 0xFFFF when none is given.
 * A reg-suffixed key for an opcode without "reg" entries uses the opcode's
 * entry.  A key without reg for an opcode that has "reg" entries (the
 * files 8F and C7 mix reg fields) gives the AND of all reg masks and reg
 * 0's status.  *status (if status is not NULL) is set to the entry's
 * "status" ("normal", "undefined", "alias", ...), or NULL when the key is
 * unknown.
 */
uint16_t vec_meta_flags_mask(const struct vec_meta *m, const char *key,
                             const char **status);
void vec_meta_free(struct vec_meta *m);

/* Revocation list: hex SHA-1 hashes one per line; '#' starts a comment. */
struct vec_revoked;
struct vec_revoked *vec_revoked_load(const char *path, char *err,
                                     size_t errlen);
size_t vec_revoked_count(const struct vec_revoked *r);
/* hash: 40 hex digits, either case. */
bool vec_revoked_has(const struct vec_revoked *r, const char *hash);
void vec_revoked_free(struct vec_revoked *r);

#endif /* AMBER_UI_VECFILE_H */
