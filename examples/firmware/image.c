/* image.c - a placeholder for the device's own code: the firmware-image
 * target is linked only to measure what firmware_classify pulls in
 * (--gc-sections, entry firmware_classify); it is never flashed. */
#include "firmware.h"

int main(void) { return firmware_classify("set an alarm", 12); }
