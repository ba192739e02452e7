#include "engine/io/Video.h"

#include <cmath>
#include <cstdio>
#include <memory>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include "engine/core/Error.h"

namespace attnscope {

namespace {

// ---- ownership of FFmpeg objects: every path frees everything.

struct InputCloser {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct OutputCloser {
  void operator()(AVFormatContext* c) const {
    if (c->pb && !(c->oformat->flags & AVFMT_NOFILE)) avio_closep(&c->pb);
    avformat_free_context(c);
  }
};
struct CodecFreer {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFreer {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsFreer {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
using InputPtr = std::unique_ptr<AVFormatContext, InputCloser>;
using OutputPtr = std::unique_ptr<AVFormatContext, OutputCloser>;
using CodecPtr = std::unique_ptr<AVCodecContext, CodecFreer>;
using FramePtr = std::unique_ptr<AVFrame, FrameFreer>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFreer>;
using SwsPtr = std::unique_ptr<SwsContext, SwsFreer>;

// Removes a half-written temporary file unless the write completed.
struct TempFile {
  std::string path;
  bool keep = false;
  ~TempFile() {
    if (!keep) std::remove(path.c_str());
  }
};

std::string avError(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

FramePtr allocFrame() {
  FramePtr f(av_frame_alloc());
  if (!f) throw Error("out of memory allocating a video frame");
  return f;
}

PacketPtr allocPacket() {
  PacketPtr p(av_packet_alloc());
  if (!p) throw Error("out of memory allocating a video packet");
  return p;
}

// An RGB24 frame with FFmpeg's row padding: swscale's SIMD reads and writes a
// few bytes past the end of a row, so it never touches our tightly packed buffer.
FramePtr allocRgbFrame(int width, int height) {
  FramePtr f = allocFrame();
  f->format = AV_PIX_FMT_RGB24;
  f->width = width;
  f->height = height;
  const int rc = av_frame_get_buffer(f.get(), 0);
  if (rc < 0) throw Error("cannot allocate a video frame: " + avError(rc));
  return f;
}

const AVCodec* findH264Encoder() {
  if (const AVCodec* c = avcodec_find_encoder_by_name("libx264")) return c;
  return avcodec_find_encoder(AV_CODEC_ID_H264);
}

// Sends one frame (nullptr = flush) and writes every packet the encoder has ready.
void encodeAndWrite(AVCodecContext* enc, AVFrame* frame, AVFormatContext* out, AVStream* stream,
                    AVPacket* pkt, const std::string& path) {
  int rc = avcodec_send_frame(enc, frame);
  if (rc < 0) throw Error("encoding '" + path + "' failed: " + avError(rc));
  for (;;) {
    rc = avcodec_receive_packet(enc, pkt);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
    if (rc < 0) throw Error("encoding '" + path + "' failed: " + avError(rc));
    av_packet_rescale_ts(pkt, enc->time_base, stream->time_base);
    pkt->stream_index = stream->index;
    rc = av_interleaved_write_frame(out, pkt);  // takes the packet's reference
    if (rc < 0) throw Error("writing '" + path + "' failed: " + avError(rc));
  }
}

}  // namespace

void writeMp4(const std::string& path, const VideoFrames& video, int crf) {
  if (video.frames <= 0 || video.width <= 0 || video.height <= 0)
    throw Error("cannot write '" + path + "': the video is empty (" + std::to_string(video.frames) +
                " frames of " + std::to_string(video.width) + "x" + std::to_string(video.height) + ")");
  if (video.width % 2 || video.height % 2)
    throw Error("cannot write '" + path + "': width and height must be even for H.264 yuv420p, got " +
                std::to_string(video.width) + "x" + std::to_string(video.height));
  const int64_t frameBytes = video.width * video.height * 3;
  if (static_cast<int64_t>(video.rgb.size()) != video.frames * frameBytes)
    throw Error("cannot write '" + path + "': " + std::to_string(video.rgb.size()) +
                " RGB bytes do not match " + std::to_string(video.frames) + " frames of " +
                std::to_string(video.width) + "x" + std::to_string(video.height));
  if (!(video.fps > 0) || !std::isfinite(video.fps))
    throw Error("cannot write '" + path + "': frame rate " + std::to_string(video.fps) + " is not positive");

  const AVCodec* codec = findH264Encoder();
  if (!codec) throw Error("cannot write '" + path + "': this FFmpeg has no H.264 encoder");

  TempFile tmp{path + ".tmp.mp4"};
  AVFormatContext* rawOut = nullptr;
  int rc = avformat_alloc_output_context2(&rawOut, nullptr, "mp4", tmp.path.c_str());
  if (rc < 0 || !rawOut) throw Error("cannot create an MP4 muxer for '" + path + "': " + avError(rc));
  OutputPtr out(rawOut);

  AVStream* stream = avformat_new_stream(out.get(), nullptr);
  if (!stream) throw Error("cannot add a video stream to '" + path + "'");
  CodecPtr enc(avcodec_alloc_context3(codec));
  if (!enc) throw Error("out of memory allocating the H.264 encoder");

  const AVRational rate = av_d2q(video.fps, 100000);
  enc->width = static_cast<int>(video.width);
  enc->height = static_cast<int>(video.height);
  enc->pix_fmt = AV_PIX_FMT_YUV420P;
  enc->time_base = av_inv_q(rate);
  enc->framerate = rate;
  // swscale's RGB->YUV default is BT.601 limited range; say so in the stream.
  enc->colorspace = AVCOL_SPC_SMPTE170M;
  enc->color_range = AVCOL_RANGE_MPEG;
  if (out->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  // libx264's options; a fallback encoder may not know them, which is fine.
  av_opt_set(enc->priv_data, "crf", std::to_string(crf).c_str(), 0);
  av_opt_set(enc->priv_data, "preset", "medium", 0);

  rc = avcodec_open2(enc.get(), codec, nullptr);
  if (rc < 0) throw Error("cannot open the " + std::string(codec->name) + " encoder for '" + path + "': " + avError(rc));
  rc = avcodec_parameters_from_context(stream->codecpar, enc.get());
  if (rc < 0) throw Error("cannot configure the video stream of '" + path + "': " + avError(rc));
  stream->time_base = enc->time_base;
  stream->avg_frame_rate = rate;

  if (!(out->oformat->flags & AVFMT_NOFILE)) {
    rc = avio_open(&out->pb, tmp.path.c_str(), AVIO_FLAG_WRITE);
    if (rc < 0) throw Error("cannot write '" + path + "' (opening '" + tmp.path + "'): " + avError(rc));
  }
  rc = avformat_write_header(out.get(), nullptr);
  if (rc < 0) throw Error("cannot write the MP4 header of '" + path + "': " + avError(rc));

  SwsPtr sws(sws_getContext(enc->width, enc->height, AV_PIX_FMT_RGB24, enc->width, enc->height,
                            AV_PIX_FMT_YUV420P, SWS_BICUBIC | SWS_ACCURATE_RND, nullptr, nullptr, nullptr));
  if (!sws) throw Error("cannot create the RGB to YUV converter for '" + path + "'");
  FramePtr frame = allocFrame();
  frame->format = enc->pix_fmt;
  frame->width = enc->width;
  frame->height = enc->height;
  rc = av_frame_get_buffer(frame.get(), 0);
  if (rc < 0) throw Error("cannot allocate a video frame: " + avError(rc));
  FramePtr rgb = allocRgbFrame(enc->width, enc->height);
  PacketPtr pkt = allocPacket();

  for (int64_t f = 0; f < video.frames; ++f) {
    rc = av_frame_make_writable(frame.get());  // the encoder may still hold the last one
    if (rc < 0) throw Error("cannot allocate a video frame: " + avError(rc));
    av_image_copy_plane(rgb->data[0], rgb->linesize[0], video.frame(f), static_cast<int>(video.width * 3),
                        static_cast<int>(video.width * 3), enc->height);
    sws_scale(sws.get(), rgb->data, rgb->linesize, 0, enc->height, frame->data, frame->linesize);
    frame->pts = f;
    encodeAndWrite(enc.get(), frame.get(), out.get(), stream, pkt.get(), path);
  }
  encodeAndWrite(enc.get(), nullptr, out.get(), stream, pkt.get(), path);

  rc = av_write_trailer(out.get());
  if (rc < 0) throw Error("cannot finish '" + path + "': " + avError(rc));
  rc = avio_closep(&out->pb);
  if (rc < 0) throw Error("cannot write '" + path + "': " + avError(rc));
  if (std::rename(tmp.path.c_str(), path.c_str()) != 0)
    throw Error("cannot move '" + tmp.path + "' to '" + path + "'");
  tmp.keep = true;
}

namespace {

// Picks the YUV->RGB matrix and range the stream declares (BT.601 if it says nothing).
void configureColour(SwsContext* sws, const AVFrame* frame) {
  int space = SWS_CS_ITU601;
  switch (frame->colorspace) {
    case AVCOL_SPC_BT709: space = SWS_CS_ITU709; break;
    case AVCOL_SPC_FCC: space = SWS_CS_FCC; break;
    case AVCOL_SPC_SMPTE240M: space = SWS_CS_SMPTE240M; break;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: space = SWS_CS_BT2020; break;
    default: break;
  }
  const int srcFull = frame->color_range == AVCOL_RANGE_JPEG ||
                      frame->format == AV_PIX_FMT_YUVJ420P || frame->format == AV_PIX_FMT_YUVJ422P ||
                      frame->format == AV_PIX_FMT_YUVJ444P;
  const int* coeffs = sws_getCoefficients(space);
  sws_setColorspaceDetails(sws, coeffs, srcFull, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
}

double streamFps(const AVStream* s) {
  for (AVRational r : {s->avg_frame_rate, s->r_frame_rate})
    if (r.num > 0 && r.den > 0) return av_q2d(r);
  return VideoFrames{}.fps;
}

}  // namespace

VideoFrames readVideo(const std::string& path) {
  AVFormatContext* rawIn = nullptr;
  int rc = avformat_open_input(&rawIn, path.c_str(), nullptr, nullptr);
  if (rc < 0) throw Error("cannot open video '" + path + "': " + avError(rc));
  InputPtr in(rawIn);
  rc = avformat_find_stream_info(in.get(), nullptr);
  if (rc < 0) throw Error("cannot read video '" + path + "': " + avError(rc));

  const AVCodec* codec = nullptr;
  const int streamIndex = av_find_best_stream(in.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (streamIndex == AVERROR_DECODER_NOT_FOUND)
    throw Error("'" + path + "': no decoder for its video stream in this FFmpeg");
  if (streamIndex < 0 || !codec) throw Error("'" + path + "' holds no video stream");
  AVStream* stream = in->streams[streamIndex];

  CodecPtr dec(avcodec_alloc_context3(codec));
  if (!dec) throw Error("out of memory allocating a video decoder");
  rc = avcodec_parameters_to_context(dec.get(), stream->codecpar);
  if (rc < 0) throw Error("cannot configure the decoder for '" + path + "': " + avError(rc));
  rc = avcodec_open2(dec.get(), codec, nullptr);
  if (rc < 0) throw Error("cannot open the " + std::string(codec->name) + " decoder for '" + path + "': " + avError(rc));

  VideoFrames video;
  video.fps = streamFps(stream);
  SwsPtr sws;  // recreated by sws_getCachedContext if the input format changes
  FramePtr rgb;  // padded conversion target, allocated with the first frame
  FramePtr frame = allocFrame();
  PacketPtr pkt = allocPacket();

  auto convert = [&](const AVFrame* fr) {
    if (video.frames == 0) {
      video.width = fr->width;
      video.height = fr->height;
      if (video.width <= 0 || video.height <= 0) throw Error("'" + path + "': video has no pixels");
    } else if (fr->width != video.width || fr->height != video.height) {
      throw Error("'" + path + "': frame " + std::to_string(video.frames) + " is " + std::to_string(fr->width) +
                  "x" + std::to_string(fr->height) + ", earlier frames are " + std::to_string(video.width) +
                  "x" + std::to_string(video.height));
    }
    sws.reset(sws_getCachedContext(sws.release(), fr->width, fr->height,
                                   static_cast<AVPixelFormat>(fr->format), fr->width, fr->height,
                                   AV_PIX_FMT_RGB24, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
                                   nullptr, nullptr, nullptr));
    if (!sws) throw Error("'" + path + "': cannot convert its pixel format to RGB");
    configureColour(sws.get(), fr);
    if (!rgb) rgb = allocRgbFrame(fr->width, fr->height);
    sws_scale(sws.get(), fr->data, fr->linesize, 0, fr->height, rgb->data, rgb->linesize);
    const size_t frameBytes = static_cast<size_t>(video.width * video.height * 3);
    video.rgb.resize(video.rgb.size() + frameBytes);
    av_image_copy_plane(video.rgb.data() + video.rgb.size() - frameBytes, static_cast<int>(video.width * 3),
                        rgb->data[0], rgb->linesize[0], static_cast<int>(video.width * 3), fr->height);
    ++video.frames;
  };

  auto drain = [&]() {
    for (;;) {
      rc = avcodec_receive_frame(dec.get(), frame.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) throw Error("decoding '" + path + "' failed: " + avError(rc));
      convert(frame.get());
      av_frame_unref(frame.get());
    }
  };

  while ((rc = av_read_frame(in.get(), pkt.get())) >= 0) {
    if (pkt->stream_index == streamIndex) {
      int sent;
      while ((sent = avcodec_send_packet(dec.get(), pkt.get())) == AVERROR(EAGAIN)) drain();
      av_packet_unref(pkt.get());
      if (sent < 0)
        throw Error("decoding '" + path + "' failed after " + std::to_string(video.frames) + " frames: " + avError(sent));
      drain();
    } else {
      av_packet_unref(pkt.get());
    }
  }
  if (rc != AVERROR_EOF) throw Error("reading '" + path + "' failed: " + avError(rc));
  avcodec_send_packet(dec.get(), nullptr);  // flush delayed frames
  drain();

  if (video.frames == 0) throw Error("'" + path + "' holds no decodable video frames");
  return video;
}

}  // namespace attnscope
