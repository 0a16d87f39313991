/* Runs a Cortex-M4 model library (`kdc compile --target cortex-m4 --name
 * model`, the C++ library or the object) on the utterances of ids.inc
 * (qemu_arm.py ids) under qemu-arm's Linux user mode, which executes the
 * Thumb-2 and VFPv4-SP code the Cortex-M4 runs; two system calls (write,
 * exit) stand in for a board's I/O, so no C library I/O is linked:
 *
 *   arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16
 *       -mfloat-abi=hard -nostartfiles --specs=nano.specs --specs=nosys.specs
 *       -I OUT -I ids.inc's folder qemu_arm_runner.c MODEL... libkdcrt.a -lm
 *   qemu-arm ./image | qemu_arm.py floats
 *
 * Prints "CLASS LOGIT_BITS..." per utterance (the logits' IEEE bits in hex,
 * exact without printf), then the argument errors as Inputs/driver.cpp's
 * `errors` mode does. */
#include "model.h"

#include <stddef.h>
#include <stdint.h>

#include "ids.inc"

static long syscall3(long number, long a, long b, long c) {
  register long r7 __asm__("r7") = number;
  register long r0 __asm__("r0") = a;
  register long r1 __asm__("r1") = b;
  register long r2 __asm__("r2") = c;
  __asm__ volatile("svc 0" : "+r"(r0) : "r"(r7), "r"(r1), "r"(r2) : "memory");
  return r0;
}

static void put(const char *s) {
  size_t n = 0;
  while (s[n])
    ++n;
  syscall3(4 /* write */, 1, (long)s, (long)n);
}

static void putInt(int v) {
  char buf[16], *p = buf + sizeof buf;
  unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
  *--p = '\0';
  do
    *--p = (char)('0' + u % 10);
  while (u /= 10);
  if (v < 0)
    *--p = '-';
  put(p);
}

static void putBits(float f) {
  union {
    float f;
    uint32_t u;
  } x = {f};
  char buf[10];
  buf[0] = ' ';
  for (int i = 8; i >= 1; --i, x.u >>= 4)
    buf[i] = "0123456789abcdef"[x.u & 15];
  buf[9] = '\0';
  put(buf);
}

static _Alignas(64) unsigned char workspace[model_WORKSPACE_BYTES + 64];

static void error(const char *what, int status) {
  put(what);
  put(": ");
  putInt(status);
  put("\n");
}

int main(void) {
  float logits[model_NUM_CLASSES];
  size_t at = 0;
  for (size_t u = 0; u < sizeof kLengths / sizeof kLengths[0]; ++u) {
    int cls = model_predict_ids(kIds + at, kLengths[u], logits, workspace);
    at += kLengths[u];
    putInt(cls);
    if (cls >= 0)
      for (int c = 0; c < model_NUM_CLASSES; ++c)
        putBits(logits[c]);
    put("\n");
  }
  int32_t ids[model_MAX_TOKENS + 1] = {1, 2, 3};
  error("null workspace", model_predict_ids(ids, 3, logits, 0));
  error("misaligned workspace",
        model_predict_ids(ids, 3, logits, workspace + 4));
  error("no ids", model_predict_ids(ids, 0, logits, workspace));
  error("too many ids",
        model_predict_ids(ids, model_MAX_TOKENS + 1, logits, workspace));
  int32_t bad[2] = {1, model_VOCAB_SIZE};
  error("id out of range", model_predict_ids(bad, 2, logits, workspace));
  int32_t negative[1] = {-1};
  error("negative id", model_predict_ids(negative, 1, logits, workspace));
  error("null logits", model_predict_ids(ids, 3, 0, workspace) >= 0);
  put("labels: ");
  put(model_labels[0]);
  put("\n");
  return 0;
}

__attribute__((noreturn)) void kdc_runner_exit(int status) {
  for (;;)
    syscall3(1 /* exit */, status, 0, 0);
}

/* qemu-arm enters here with the Linux initial stack; .data and .bss are
 * loaded and zeroed by the ELF loader, so nothing else needs setting up. */
__attribute__((naked, noreturn)) void _start(void) {
  __asm__ volatile("bl main\n\tbl kdc_runner_exit\n");
}
