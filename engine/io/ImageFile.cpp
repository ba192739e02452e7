#include "engine/io/ImageFile.h"

#include <cstdio>
#include <fstream>
#include <memory>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
}

#include "engine/core/Error.h"

namespace attnscope {

namespace {

struct CodecFreer {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFreer {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};

std::string avError(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

}  // namespace

void writePng(const std::string& path, const RgbImage& image) {
  if (image.width <= 0 || image.height <= 0 || image.width > 32768 || image.height > 32768)
    throw Error("cannot write '" + path + "': picture size " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + " is empty or too large");
  if (image.rgb.size() != size_t(image.width * image.height * 3))
    throw Error("cannot write '" + path + "': " + std::to_string(image.rgb.size()) + " RGB bytes do not match " +
                std::to_string(image.width) + "x" + std::to_string(image.height));
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
  if (!codec) throw Error("cannot write '" + path + "': this FFmpeg has no PNG encoder");
  std::unique_ptr<AVCodecContext, CodecFreer> enc(avcodec_alloc_context3(codec));
  if (!enc) throw Error("out of memory allocating the PNG encoder");
  enc->width = static_cast<int>(image.width);
  enc->height = static_cast<int>(image.height);
  enc->pix_fmt = AV_PIX_FMT_RGB24;
  enc->time_base = {1, 1};
  int rc = avcodec_open2(enc.get(), codec, nullptr);
  if (rc < 0) throw Error("cannot open the PNG encoder for '" + path + "': " + avError(rc));

  std::unique_ptr<AVFrame, FrameFreer> frame(av_frame_alloc());
  std::unique_ptr<AVPacket, PacketFreer> packet(av_packet_alloc());
  if (!frame || !packet) throw Error("out of memory encoding '" + path + "'");
  frame->format = AV_PIX_FMT_RGB24;
  frame->width = enc->width;
  frame->height = enc->height;
  rc = av_frame_get_buffer(frame.get(), 0);
  if (rc < 0) throw Error("cannot allocate a picture for '" + path + "': " + avError(rc));
  av_image_copy_plane(frame->data[0], frame->linesize[0], image.rgb.data(), static_cast<int>(image.width * 3),
                      static_cast<int>(image.width * 3), enc->height);
  frame->pts = 0;

  rc = avcodec_send_frame(enc.get(), frame.get());
  if (rc >= 0) rc = avcodec_send_frame(enc.get(), nullptr);
  if (rc < 0) throw Error("encoding '" + path + "' failed: " + avError(rc));
  rc = avcodec_receive_packet(enc.get(), packet.get());  // one picture = one packet = the whole file
  if (rc < 0) throw Error("encoding '" + path + "' failed: " + avError(rc));

  const std::string tmp = path + ".tmp.png";
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(reinterpret_cast<const char*>(packet->data), packet->size);
    if (!out.flush()) {
      std::remove(tmp.c_str());
      throw Error("cannot write '" + path + "' (writing '" + tmp + "')");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error("cannot move '" + tmp + "' to '" + path + "'");
  }
}

}  // namespace attnscope
