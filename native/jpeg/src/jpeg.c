/*
 * JPEG -> RGB with libjpeg-turbo, shrunk in its inverse DCT (scale_num/8) and resampled to an exact size with an
 * antialiased linear filter, in one job on libuv's pool: a Node-API addon.
 *
 * Why it exists: libvips (through sharp) costs ~2 ms of pipeline setup per call on top of decoding, and never
 * shrinks a JPEG while decoding by exactly 2; the npm bindings of libjpeg-turbo decode at full size only, with no
 * deadline, scan or memory bounds. Here a 512-px photo costs less than half of libvips' CPU.
 *
 * Hostile input is bounded here, not only in JS: a deadline checked by libjpeg's progress hook (so a decode really
 * stops), a cap on progressive scans (thousands of tiny scans are a known CPU bomb), libjpeg's working memory capped
 * (progressive coefficient buffers), the output pixel count checked before allocating, APPn markers never saved
 * (ICC/EXIF cost nothing), and no message ever printed to stderr.
 */
#include <node_api.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jpeglib.h>
#include <jerror.h>

#define STR2(x) #x
#define STR(x) STR2(x)

enum status { OK = 0, CORRUPT, UNSUPPORTED, TIMEOUT, TOO_LARGE, NO_MEMORY };
static const char *const CODES[] = { "", "JPEG_CORRUPT", "JPEG_UNSUPPORTED", "JPEG_TIMEOUT", "JPEG_TOO_LARGE", "JPEG_CORRUPT" };

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  int truncated;
  enum status why; /* set before a longjmp that is not a libjpeg error */
} error_mgr;

typedef struct {
  struct jpeg_progress_mgr pub;
  double deadline; /* monotonic seconds; 0 = none */
  int max_scans;
} progress_mgr;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref input_ref;
  const unsigned char *input;
  size_t input_len;
  int scale_num;
  double timeout_ms;
  int max_scans;
  long max_memory;
  double max_output_pixels;
  unsigned int resize_width, resize_height; /* 0: keep the DCT-scaled size */
  /* results */
  enum status status;
  char message[JMSG_LENGTH_MAX + 64];
  unsigned char *out;
  unsigned int width, height;
} job;

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void on_error_exit(j_common_ptr cinfo) {
  error_mgr *err = (error_mgr *)cinfo->err;
  longjmp(err->jump, 1);
}

/* libvips' policy (readjpeg.c): the first warnings are tolerated, 100 are fatal; truncation is always fatal. */
static void on_emit_message(j_common_ptr cinfo, int level) {
  error_mgr *err = (error_mgr *)cinfo->err;
  if (level >= 0) return; /* trace messages */
  err->pub.num_warnings++;
  if (err->pub.msg_code == JWRN_JPEG_EOF) err->truncated = 1;
  if (err->truncated || err->pub.num_warnings >= 100) longjmp(err->jump, 1);
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void on_progress(j_common_ptr cinfo) {
  progress_mgr *p = (progress_mgr *)cinfo->progress;
  error_mgr *err = (error_mgr *)cinfo->err;
  j_decompress_ptr d = (j_decompress_ptr)cinfo;
  if (d->input_scan_number > p->max_scans) {
    err->why = CORRUPT;
    longjmp(err->jump, 2);
  }
  if (p->deadline > 0 && now_seconds() > p->deadline) {
    err->why = TIMEOUT;
    longjmp(err->jump, 2);
  }
}

/*
 * Antialiased linear (triangle) resampling of interleaved RGB, separable, as PIL's BILINEAR and torchvision's
 * antialiased resize do it: the filter widens by the reduction factor, so every source pixel contributes. Output
 * pixel i is centred on source coordinate (i + 0.5) * in / out.
 */
typedef struct {
  int *start;    /* first source pixel of each output pixel's filter */
  float *weight; /* max_taps weights per output pixel, at weight + i * max_taps */
  int max_taps;
} taps;

static void free_taps(taps *t) {
  free(t->start);
  free(t->weight);
}

/*
 * Every output pixel gets exactly max_taps weights (zeros past its own filter), starting where its filter starts
 * but never past in - max_taps, so every pixel has the same trip count.
 */
static int make_taps(unsigned int in, unsigned int out, taps *t) {
  double scale = (double)in / out, support = scale > 1 ? scale : 1;
  int max_taps = (int)(2 * support) + 2;
  if (max_taps > (int)in) max_taps = (int)in;
  t->max_taps = max_taps;
  t->start = malloc(sizeof(int) * out);
  t->weight = calloc((size_t)out * max_taps, sizeof(float));
  if (!t->start || !t->weight) return -1;
  for (unsigned int i = 0; i < out; i++) {
    double centre = (i + 0.5) * scale;
    int lo = (int)(centre - support + 0.5), hi = (int)(centre + support + 0.5);
    if (lo < 0) lo = 0;
    if (hi > (int)in) hi = (int)in;
    if (hi - lo > max_taps) hi = lo + max_taps;
    int first = lo + max_taps > (int)in ? (int)in - max_taps : lo;
    float *w = t->weight + (size_t)i * max_taps;
    double sum = 0;
    for (int k = lo; k < hi; k++) {
      double x = (k + 0.5 - centre) / support;
      double tri = x < 0 ? (x > -1 ? 1 + x : 0) : (x < 1 ? 1 - x : 0);
      w[k - first] = (float)tri;
      sum += tri;
    }
    for (int k = 0; k < max_taps; k++) w[k] = sum > 0 ? (float)(w[k] / sum) : 0;
    t->start[i] = first;
  }
  return 0;
}

static unsigned char clamp_byte(float v) { return v <= 0 ? 0 : v >= 255 ? 255 : (unsigned char)(v + 0.5f); }

/*
 * One output row of the horizontal pass, `n` taps per pixel. Always inlined, and called below with literal tap
 * counts, so each common count gets its own unrolled copy; the arithmetic (and every output value) is the same.
 */
static inline __attribute__((always_inline)) void horizontal_taps(const float *row, const taps *h, unsigned char *out, unsigned int ow, int n) {
  for (unsigned int x = 0; x < ow; x++) {
    const float *wh = h->weight + (size_t)x * n;
    const float *p = row + (size_t)h->start[x] * 3;
    float r = 0, g = 0, b = 0;
    for (int k = 0; k < n; k++, p += 3) {
      r += wh[k] * p[0];
      g += wh[k] * p[1];
      b += wh[k] * p[2];
    }
    out[x * 3] = clamp_byte(r);
    out[x * 3 + 1] = clamp_byte(g);
    out[x * 3 + 2] = clamp_byte(b);
  }
}

static void horizontal(const float *row, const taps *h, unsigned char *out, unsigned int ow) {
  switch (h->max_taps) {
    case 3: horizontal_taps(row, h, out, ow, 3); return;
    case 4: horizontal_taps(row, h, out, ow, 4); return;
    case 5: horizontal_taps(row, h, out, ow, 5); return;
    case 6: horizontal_taps(row, h, out, ow, 6); return;
    default: horizontal_taps(row, h, out, ow, h->max_taps); return;
  }
}

/*
 * Returns a new buffer of ow x oh RGB pixels, or NULL when out of memory. Vertical pass first, one output row at
 * a time into a float row (contiguous, so the compiler vectorises it), then the horizontal pass from that row.
 */
static unsigned char *resample(const unsigned char *src, unsigned int iw, unsigned int ih, unsigned int ow, unsigned int oh) {
  taps h = { 0 }, v = { 0 };
  float *row = NULL;
  unsigned char *dst = NULL;
  const size_t in_stride = (size_t)iw * 3;
  if (make_taps(iw, ow, &h) || make_taps(ih, oh, &v)) goto done;
  row = malloc(sizeof(float) * in_stride);
  dst = malloc((size_t)ow * oh * 3);
  if (!row || !dst) {
    free(dst);
    dst = NULL;
    goto done;
  }
  for (unsigned int y = 0; y < oh; y++) {
    const float *wv = v.weight + (size_t)y * v.max_taps;
    const unsigned char *first = src + (size_t)v.start[y] * in_stride;
    for (size_t x = 0; x < in_stride; x++) row[x] = wv[0] * first[x];
    for (int k = 1; k < v.max_taps; k++) {
      const unsigned char *p = first + (size_t)k * in_stride;
      const float w = wv[k];
      for (size_t x = 0; x < in_stride; x++) row[x] += w * p[x];
    }
    horizontal(row, &h, dst + (size_t)y * ow * 3, ow);
  }
done:
  free(row);
  free_taps(&h);
  free_taps(&v);
  return dst;
}

static void run_decode(job *j) {
  struct jpeg_decompress_struct cinfo;
  error_mgr err;
  progress_mgr progress;
  unsigned char *volatile out = NULL;
  memset(&cinfo, 0, sizeof cinfo);
  memset(&err, 0, sizeof err);
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error_exit;
  err.pub.emit_message = on_emit_message;
  err.pub.output_message = on_output_message;
  int jumped = setjmp(err.jump);
  if (jumped) {
    if (jumped == 2 && err.why == TIMEOUT) {
      j->status = TIMEOUT;
      snprintf(j->message, sizeof j->message, "decoding took longer than %.0f ms", j->timeout_ms);
    } else if (jumped == 2) {
      j->status = CORRUPT;
      snprintf(j->message, sizeof j->message, "more than %d progressive scans", j->max_scans);
    } else {
      char text[JMSG_LENGTH_MAX];
      (*err.pub.format_message)((j_common_ptr)&cinfo, text);
      j->status = err.truncated ? CORRUPT : (err.pub.msg_code == JERR_NO_BACKING_STORE || err.pub.msg_code == JERR_OUT_OF_MEMORY) ? NO_MEMORY : CORRUPT;
      if (j->status == NO_MEMORY) snprintf(j->message, sizeof j->message, "needs more than %ld bytes of working memory (%s)", j->max_memory, text);
      else if (err.truncated) snprintf(j->message, sizeof j->message, "the data is truncated (%s)", text);
      else snprintf(j->message, sizeof j->message, "%s", text);
    }
    free(out);
    jpeg_destroy_decompress(&cinfo);
    return;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.mem->max_memory_to_use = j->max_memory;
  progress.pub.progress_monitor = on_progress;
  progress.deadline = j->timeout_ms > 0 ? now_seconds() + j->timeout_ms / 1000.0 : 0;
  progress.max_scans = j->max_scans;
  cinfo.progress = &progress.pub;
  jpeg_mem_src(&cinfo, j->input, (unsigned long)j->input_len);
  jpeg_read_header(&cinfo, TRUE);
  if (!((cinfo.num_components == 3 && (cinfo.jpeg_color_space == JCS_YCbCr || cinfo.jpeg_color_space == JCS_RGB)) ||
        (cinfo.num_components == 1 && cinfo.jpeg_color_space == JCS_GRAYSCALE))) {
    j->status = UNSUPPORTED;
    snprintf(j->message, sizeof j->message, "colour space %d with %d components is not decoded here", (int)cinfo.jpeg_color_space, cinfo.num_components);
    jpeg_destroy_decompress(&cinfo);
    return;
  }
  cinfo.out_color_space = JCS_RGB;
  cinfo.scale_num = (unsigned int)j->scale_num;
  cinfo.scale_denom = 8;
  cinfo.dct_method = JDCT_ISLOW;
  cinfo.do_fancy_upsampling = TRUE;
  jpeg_calc_output_dimensions(&cinfo);
  if ((double)cinfo.output_width * (double)cinfo.output_height > j->max_output_pixels) {
    j->status = TOO_LARGE;
    snprintf(j->message, sizeof j->message, "the decoded size %ux%u exceeds %.0f pixels", cinfo.output_width, cinfo.output_height, j->max_output_pixels);
    jpeg_destroy_decompress(&cinfo);
    return;
  }
  jpeg_start_decompress(&cinfo);
  size_t stride = (size_t)cinfo.output_width * 3;
  out = malloc(stride * cinfo.output_height);
  if (!out) {
    j->status = NO_MEMORY;
    snprintf(j->message, sizeof j->message, "cannot allocate %ux%u pixels", cinfo.output_width, cinfo.output_height);
    jpeg_destroy_decompress(&cinfo);
    return;
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW rows[4];
    unsigned int n = cinfo.output_height - cinfo.output_scanline;
    if (n > 4) n = 4;
    for (unsigned int i = 0; i < n; i++) rows[i] = out + stride * (cinfo.output_scanline + i);
    jpeg_read_scanlines(&cinfo, rows, n);
  }
  jpeg_finish_decompress(&cinfo);
  j->width = cinfo.output_width;
  j->height = cinfo.output_height;
  jpeg_destroy_decompress(&cinfo);
  if (j->resize_width && (j->resize_width != j->width || j->resize_height != j->height)) {
    unsigned char *resized = resample(out, j->width, j->height, j->resize_width, j->resize_height);
    free(out);
    if (!resized) {
      j->status = NO_MEMORY;
      snprintf(j->message, sizeof j->message, "cannot allocate %ux%u pixels", j->resize_width, j->resize_height);
      return;
    }
    out = resized;
    j->width = j->resize_width;
    j->height = j->resize_height;
  }
  j->out = out;
  j->status = OK;
}

static void execute(napi_env env, void *data) {
  (void)env;
  run_decode((job *)data);
}

static void complete(napi_env env, napi_status st, void *data) {
  job *j = (job *)data;
  if (st == napi_ok && j->status == OK) {
    napi_value result, buf, w, h;
    napi_create_object(env, &result);
    /* A copy (~0.05 ms for 256x256) into an ordinary Buffer: memory V8 accounts for and collects on time. */
    napi_create_buffer_copy(env, (size_t)j->width * j->height * 3, j->out, NULL, &buf);
    napi_create_uint32(env, j->width, &w);
    napi_create_uint32(env, j->height, &h);
    napi_set_named_property(env, result, "data", buf);
    napi_set_named_property(env, result, "width", w);
    napi_set_named_property(env, result, "height", h);
    napi_resolve_deferred(env, j->deferred, result);
    free(j->out);
  } else {
    napi_value msg, code, error;
    const char *text = st == napi_ok ? j->message : "the decode was cancelled";
    napi_create_string_utf8(env, CODES[st == napi_ok ? j->status : CORRUPT], NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &error);
    napi_reject_deferred(env, j->deferred, error);
    free(j->out);
  }
  napi_delete_reference(env, j->input_ref);
  napi_delete_async_work(env, j->work);
  free(j);
}

static int number_option(napi_env env, napi_value options, const char *name, double *out) {
  bool has = false;
  napi_value v;
  napi_valuetype t;
  if (options == NULL || napi_has_named_property(env, options, name, &has) != napi_ok || !has) return 0;
  napi_get_named_property(env, options, name, &v);
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return 0;
  if (t != napi_number) return -1;
  napi_get_value_double(env, v, out);
  return 1;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG", message);
  return NULL;
}

/* decode(input: Uint8Array, options?) -> Promise<{ data, width, height }> */
static napi_value decode(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], promise, name;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_typed = false;
  if (argc < 1 || napi_is_typedarray(env, argv[0], &is_typed) != napi_ok || !is_typed) return throw_type(env, "decode: the input must be a Buffer or Uint8Array");
  napi_typedarray_type type;
  size_t length;
  void *bytes;
  napi_get_typedarray_info(env, argv[0], &type, &length, &bytes, NULL, NULL);
  if (type != napi_uint8_array) return throw_type(env, "decode: the input must be a Buffer or Uint8Array");
  napi_value options = NULL;
  if (argc >= 2) {
    napi_valuetype t;
    napi_typeof(env, argv[1], &t);
    if (t == napi_object) options = argv[1];
    else if (t != napi_undefined) return throw_type(env, "decode: options must be an object");
  }
  double scale = 8, timeout = 0, scans = 100, memory = 256.0 * 1024 * 1024, pixels = 67108864.0, rw = 0, rh = 0;
  if (number_option(env, options, "scaleEighths", &scale) < 0 || scale < 1 || scale > 16 || scale != (int)scale)
    return throw_type(env, "decode: scaleEighths must be an integer from 1 to 16");
  if (number_option(env, options, "timeoutMs", &timeout) < 0 || !(timeout >= 0)) return throw_type(env, "decode: timeoutMs must be >= 0");
  if (number_option(env, options, "maxScans", &scans) < 0 || !(scans >= 1)) return throw_type(env, "decode: maxScans must be >= 1");
  if (number_option(env, options, "maxMemoryBytes", &memory) < 0 || !(memory >= 1)) return throw_type(env, "decode: maxMemoryBytes must be >= 1");
  if (number_option(env, options, "maxOutputPixels", &pixels) < 0 || !(pixels >= 1)) return throw_type(env, "decode: maxOutputPixels must be >= 1");
  int has_w = number_option(env, options, "resizeWidth", &rw), has_h = number_option(env, options, "resizeHeight", &rh);
  if (has_w < 0 || has_h < 0 || has_w != has_h || (has_w && (rw < 1 || rh < 1 || rw != (int)rw || rh != (int)rh || rw * rh > pixels)))
    return throw_type(env, "decode: resizeWidth and resizeHeight must be given together, as positive integers within maxOutputPixels");
  job *j = calloc(1, sizeof(job));
  if (!j) {
    napi_throw_error(env, "ERR_NO_MEMORY", "decode: out of memory");
    return NULL;
  }
  j->input = (const unsigned char *)bytes;
  j->input_len = length;
  j->scale_num = (int)scale;
  j->timeout_ms = timeout;
  j->max_scans = scans > 1e6 ? 1000000 : (int)scans;
  j->max_memory = memory > 1e15 ? (long)1e15 : (long)memory;
  j->max_output_pixels = pixels;
  j->resize_width = (unsigned int)rw;
  j->resize_height = (unsigned int)rh;
  /* The input stays referenced (so not collected) until the decode completes. */
  napi_create_reference(env, argv[0], 1, &j->input_ref);
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "food101-jpeg:decode", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, version;
  napi_create_function(env, "decode", NAPI_AUTO_LENGTH, decode, NULL, &fn);
  napi_set_named_property(env, exports, "decode", fn);
  napi_create_string_utf8(env, STR(LIBJPEG_TURBO_VERSION), NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "version", version);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
