// ggml-oracle: asks the installed ggml library (libggml-base from Debian's llama.cpp packages, the one the
// llama.cpp tools in ~/.cache/slim4j/llama.cpp run on) to quantize or dequantize raw data, so slim4j's block codecs
// can be checked against ggml itself and test fixtures can record ggml's own values. Nothing of ggml is compiled in:
// the few exported functions used are declared here and resolved at run time (scripts/ggml-oracle.sh builds and runs
// this with the packages' glibc loader).
//
//   ggml-oracle dequant TYPE N              < blocks  > N float32        (ggml's to_float for TYPE)
//   ggml-oracle quant TYPE ROWS COLS [QW]   < floats  > blocks           (ggml_quantize_chunk, importance QW: COLS f32)
//   ggml-oracle grids                       > text                       (the i-quant lookup tables, read back by
//                                                                         dequantizing one crafted block per entry)
// TYPE is the ggml type id (e.g. 12 = Q4_K, 23 = IQ4_XS). Data are little-endian, as ggml's in memory.
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct traits { // ggml_type_traits as ggml 0.x lays it out; the type name printed by 'name' checks the layout
    const char *type_name;
    int64_t blck_size;
    int64_t blck_size_interleave;
    size_t type_size;
    bool is_quantized;
    void (*to_float)(const void *x, float *y, int64_t k);
    void (*from_float_ref)(const float *x, void *y, int64_t k);
};
const struct traits *ggml_get_type_traits(int type);
size_t ggml_quantize_chunk(int type, const float *src, void *dst, int64_t start, int64_t nrows, int64_t n_per_row, const float *imatrix);
uint16_t ggml_fp32_to_fp16(float x);

static void *read_all(size_t n) {
    void *p = malloc(n ? n : 1);
    if (fread(p, 1, n, stdin) != n) { fprintf(stderr, "ggml-oracle: short input (wanted %zu bytes)\n", n); exit(2); }
    return p;
}

static const struct traits *traits(int type) {
    const struct traits *t = ggml_get_type_traits(type);
    if (!t || !t->type_name) { fprintf(stderr, "ggml-oracle: no type %d\n", type); exit(2); }
    return t;
}

static void dequant_block(int type, const uint8_t *block, float *out) {
    traits(type)->to_float(block, out, traits(type)->blck_size);
}

static void put16(uint8_t *b, int at, uint16_t v) { b[at] = v & 0xff; b[at + 1] = v >> 8; }

// One block of TYPE with super-scale d = 1 and every other byte zero except what 'set' writes; values 0..n of the
// first group come back in out.
static void grid_entries(const char *name, int type, int bytes, int count, int width, void (*set)(uint8_t *, int), float div, float sub) {
    printf("%s %d\n", name, count);
    uint8_t b[256];
    float y[256];
    for (int i = 0; i < count; i++) {
        memset(b, 0, sizeof b);
        put16(b, 0, ggml_fp32_to_fp16(1.0f));
        set(b, i);
        dequant_block(type, b, y);
        printf("0x");
        for (int j = width - 1; j >= 0; j--) {
            int v = (int) (y[j] / div - sub);
            printf("%02x", v & 0xff);
        }
        printf(i % 8 == 7 ? "\n" : " ");
    }
    (void) bytes;
}

static void set_iq2xxs(uint8_t *b, int i) { b[2] = (uint8_t) i; }                       // qs word 0, byte 0: grid index
static void set_iq2xs(uint8_t *b, int i) { put16(b, 2, (uint16_t) i); }                 // 9-bit index, sign index 0
static void set_iq2s(uint8_t *b, int i) { b[2] = i & 255; b[2 + 64] = (uint8_t) (i >> 8); } // qs[0], qh[0] bits 0-1
static void set_iq3xxs(uint8_t *b, int i) { b[2] = (uint8_t) i; }
static void set_iq3s(uint8_t *b, int i) { b[2] = i & 255; b[2 + 64] = (uint8_t) (i >> 8); } // qs[0], qh[0] bit 0
static void set_iq1s(uint8_t *b, int i) { b[2] = i & 255; put16(b, 2 + 32, (uint16_t) (i >> 8)); } // qs[0], qh[0] bits 0-2
static void set_signs(uint8_t *b, int i) { b[2 + 4] = (uint8_t) i; }                   // IQ2_XXS: sign index of group 0

static void grids(void) {
    // IQ2_XXS: db = d * 0.5 * 0.25 = 1/8; IQ2_XS, IQ2_S likewise; IQ3_XXS: d * 0.5 * 0.5 = 1/4; IQ3_S: d * 1;
    // IQ1_S: d * 1 * (grid + 1/8)
    grid_entries("iq2xxs_grid", 16, 66, 256, 8, set_iq2xxs, 0.125f, 0);
    grid_entries("iq2xs_grid", 17, 74, 512, 8, set_iq2xs, 0.125f, 0);
    grid_entries("iq2s_grid", 22, 82, 1024, 8, set_iq2s, 0.125f, 0);
    grid_entries("iq3xxs_grid", 18, 98, 256, 4, set_iq3xxs, 0.25f, 0);
    grid_entries("iq3s_grid", 21, 110, 512, 4, set_iq3s, 1.0f, 0);
    grid_entries("iq1s_grid", 19, 50, 2048, 8, set_iq1s, 1.0f, 0.125f);
    // ksigns_iq2xs: bit j set where value j of an all-8 grid point comes back negative
    printf("ksigns_iq2xs 128\n");
    uint8_t b[256];
    float y[256];
    for (int i = 0; i < 128; i++) {
        memset(b, 0, sizeof b);
        put16(b, 0, ggml_fp32_to_fp16(1.0f));
        set_signs(b, i);
        dequant_block(16, b, y);
        int s = 0;
        for (int j = 0; j < 8; j++) if (y[j] < 0) s |= 1 << j;
        printf("%d%s", s, i % 16 == 15 ? "\n" : " ");
    }
    // kvalues_iq4nl: IQ4_NL with d = 1, nibble j in byte j
    printf("kvalues_iq4nl 16\n");
    memset(b, 0, sizeof b);
    put16(b, 0, ggml_fp32_to_fp16(1.0f));
    for (int j = 0; j < 16; j++) b[2 + j] = (uint8_t) j;
    dequant_block(20, b, y);
    for (int j = 0; j < 16; j++) printf("%d%s", (int) y[j], j == 15 ? "\n" : " ");
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "grids")) { grids(); return 0; }
    if (argc >= 3 && !strcmp(argv[1], "name")) { printf("%s\n", traits(atoi(argv[2]))->type_name); return 0; }
    if (argc >= 4 && !strcmp(argv[1], "dequant")) {
        const struct traits *t = traits(atoi(argv[2]));
        int64_t n = atoll(argv[3]);
        if (n % t->blck_size) { fprintf(stderr, "ggml-oracle: %lld values are not whole %s blocks\n", (long long) n, t->type_name); return 2; }
        void *in = read_all((size_t) (n / t->blck_size) * t->type_size);
        float *out = malloc(sizeof(float) * (size_t) n);
        t->to_float(in, out, n);
        fwrite(out, sizeof(float), (size_t) n, stdout);
        return 0;
    }
    if (argc >= 5 && !strcmp(argv[1], "quant")) {
        int type = atoi(argv[2]);
        const struct traits *t = traits(type);
        int64_t rows = atoll(argv[3]), cols = atoll(argv[4]);
        float *qw = NULL;
        if (argc >= 6) {
            FILE *f = fopen(argv[5], "rb");
            if (!f) { perror(argv[5]); return 2; }
            qw = malloc(sizeof(float) * (size_t) cols);
            if (fread(qw, sizeof(float), (size_t) cols, f) != (size_t) cols) { fprintf(stderr, "ggml-oracle: short importance file\n"); return 2; }
            fclose(f);
        }
        float *in = read_all(sizeof(float) * (size_t) (rows * cols));
        size_t bytes = (size_t) (rows * cols / t->blck_size) * t->type_size;
        void *out = calloc(1, bytes);
        size_t got = ggml_quantize_chunk(type, in, out, 0, rows, cols, qw);
        if (got != bytes) { fprintf(stderr, "ggml-oracle: quantize wrote %zu bytes, expected %zu\n", got, bytes); return 2; }
        fwrite(out, 1, bytes, stdout);
        return 0;
    }
    fprintf(stderr, "usage: ggml-oracle dequant TYPE N | quant TYPE ROWS COLS [IMATRIX] | grids | name TYPE\n");
    return 2;
}
