// Where a link keeps its frames and its handshake's SHA-1.
//
// On the host, where tests run several links at once, each link is given
// a buffer (RD_LINK_KEEPS_BUFFER). On a board there is one link, and its
// buffer is linkBuffer (defined in ws_link.cpp): frames, then what was read
// and not yet decoded; before that, the handshake's SHA-1. Its address is
// a constant, so neither the link nor the handshake keeps or loads a
// pointer to it, and LTO folds the offsets of its fields into the
// instructions.
#pragma once

#include <stdint.h>

#include "rd_config.h"
#include "ws_accept.h"

#if defined(ROBODECK_HOST)
#define RD_LINK_KEEPS_BUFFER 1
#else
#define RD_LINK_KEEPS_BUFFER 0
#endif

namespace rd {

#if !RD_LINK_KEEPS_BUFFER
union LinkBuffer {
  uint8_t bytes[kRxBuffer + kRxChunk];
  Sha1 sha;
};
extern LinkBuffer linkBuffer;
#endif

}  // namespace rd
