#include "wire/messages.h"

namespace stockade::wire {

const char* body_name(fb::Body type) {
  // EnumNameBody indexes a table: only call it for values inside the enum.
  if (type < fb::Body::MIN || type > fb::Body::MAX) return "?";
  return fb::EnumNameBody(type);
}

}  // namespace stockade::wire
