// The trust root is permission-checked, as sshd's StrictModes checks
// authorized_keys: a whitelist, config, manifest, plugins folder or binary is
// refused when someone other than root or the user stockade runs as (its
// effective uid) could change it, or could change any folder on its path.
// A whitelist that anyone can rewrite pins nothing.
//
// The rules (docs/operators.md, "The trust root"):
//  - every object from / down to the file, and the file itself, is owned by
//    root or the effective uid;
//  - none is writable by every user, or by a group other than root's (gid 0);
//  - except that a folder anyone may write with the sticky bit set (/tmp) is
//    accepted when the entry below it is owned by root or the effective uid;
//  - a POSIX ACL whose mask grants write (named users or groups could write)
//    is refused where the mode alone would have been accepted.
// The file itself is checked on the open fd (fstat of the very file that is
// then read or executed); the folders by an fd walk from / along the path,
// following each symlink as the kernel would and checking its target's
// folders too, and the walk must arrive at the inode that is open.
#pragma once

#include <string>
#include <string_view>

#include "stockade/result.h"
#include "base/unique_fd.h"

namespace stockade {

// Refuses `fd` (opened from `path`) unless the rules above hold for it and for
// every folder on `path`. `what` names the object in messages ("whitelist",
// "config", "manifest", "plugins folder", "binary"). Errors: refused (the
// message names the file at fault, its owner and mode, and the fix), io.
Status check_trusted(int fd, const std::string& path, std::string_view what);

// Opens `path` with `flags` (O_CLOEXEC is added) and checks the open file.
// Errors: not_found, refused, io, as check_trusted and open(2).
Result<UniqueFd> open_trusted(const std::string& path, int flags, std::string_view what);

}  // namespace stockade
