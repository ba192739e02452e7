#include "engine/io/Video.h"

extern "C" {
#include <libavutil/log.h>
}

namespace attnscope {

void quietVideoLibraryLogs() { av_log_set_level(AV_LOG_ERROR); }

}  // namespace attnscope
