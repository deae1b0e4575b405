{
  "targets": [
    {
      "target_name": "jpeg",
      "sources": ["src/jpeg.c"],
      "libraries": ["-ljpeg"],
      "cflags": ["-O3", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
