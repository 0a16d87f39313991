//===- FileIO.h - writing files that never appear half-written --*- C++ -*-===//
#ifndef KDC_SUPPORT_FILEIO_H
#define KDC_SUPPORT_FILEIO_H

#include <functional>
#include <iosfwd>
#include <string>

namespace kdc {

/// Has `write` fill PATH.tmp, then renames it over `path`, so `path` is
/// either the old file or the complete new one, never a partial one (a kill,
/// a full disk). On failure the temporary file is removed and kdc::Error
/// names the file: "cannot write 'PATH.tmp': REASON" when it cannot be
/// opened, "cannot write 'PATH.tmp' (is the disk full?)" when writing fails,
/// "cannot write 'PATH': REASON" when the rename fails. An exception `write`
/// throws removes the temporary file and goes on to the caller.
void writeFileAtomically(const std::string &path,
                         const std::function<void(std::ostream &)> &write);

} // namespace kdc

#endif // KDC_SUPPORT_FILEIO_H
