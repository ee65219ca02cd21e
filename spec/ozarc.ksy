meta:
  id: ozarc
  title: ozarc archive, format version 1
  file-extension: oz
  endian: le
  license: MIT
doc: |
  An ozarc archive: a 16-byte file header, framed records (chunks, entries, model-table rows),
  the central index as the last record, and a 32-byte footer. FORMAT.md is the normative text;
  this file describes the same layout. Checks (BLAKE2b) cannot be expressed here: a reader
  must verify them as FORMAT.md says. Parsing records in sequence assumes an intact archive;
  damaged archives are read through the footer or by scanning for the sync bytes.
seq:
  - id: header
    type: file_header
  - id: records
    type: record
    repeat: until
    repeat-until: _.rec_type == record_type::index
  - id: footer
    type: footer
types:
  file_header:
    seq:
      - id: magic
        contents: [0x89, 0x4f, 0x5a, 0x41, 0x0d, 0x0a, 0x1a, 0x0a]
      - id: version
        type: u2
      - id: flags
        type: u2
      - id: check
        size: 4
        doc: BLAKE2b (digest_size=4) of bytes 0..11
  footer:
    seq:
      - id: index_offset
        type: u8
      - id: index_length
        type: u8
      - id: index_check
        size: 8
        doc: BLAKE2b (digest_size=8) of the whole INDEX frame
      - id: check
        size: 4
        doc: BLAKE2b (digest_size=4) of footer bytes 0..23
      - id: magic
        contents: [0x89, 0x4f, 0x5a, 0x45]
  record:
    seq:
      - id: sync
        contents: [0x8e, 0x4f, 0x5a, 0x1e]
      - id: rec_type
        type: u1
        enum: record_type
      - id: body_len
        type: uvar
      - id: body
        size: body_len.value
        type:
          switch-on: rec_type
          cases:
            'record_type::chunk': chunk_body
            'record_type::entry': entry_group
            'record_type::model': model_body
            'record_type::index': index_packed
      - id: check
        size: 4
        doc: BLAKE2b (digest_size=4) of rec_type, the body_len varint bytes and body
  chunk_body:
    seq:
      - id: chunk_no
        type: uvar
      - id: codec_id
        type: uvar
        doc: 0 store, 1 zstd, 2 neural (learned), 3 bzip2, 4 xz (FORMAT.md, CHUNK)
      - id: model_ref
        type: uvar
        doc: 0 none, k = model-table row k-1
      - id: raw_len
        type: uvar
        doc: at most 64 MiB
      - id: raw_check
        size: 8
        doc: BLAKE2b (digest_size=8) of the decoded bytes
      - id: payload_len
        type: uvar
      - id: payload
        size: payload_len.value
  entry_group:
    doc: local headers of consecutive entries (entry bodies in local form, without hashes)
    seq:
      - id: count
        type: uvar
      - id: codec
        type: u1
        enum: packed_codec
      - id: raw_len
        type: uvar
      - id: entries
        type: local_entry
        repeat: expr
        repeat-expr: count.value
        if: codec == packed_codec::raw
      - id: zstd_payload
        size-eos: true
        if: codec == packed_codec::zstd
        doc: one zstd frame; decompressed (raw_len bytes) it is count x local_entry
  local_entry:
    seq:
      - id: len
        type: uvar
      - id: body
        size: len.value
        type: entry_body(false)
  index_packed:
    doc: the index body as a packed block
    seq:
      - id: codec
        type: u1
        enum: packed_codec
      - id: raw_len
        type: uvar
      - id: index
        type: index_body
        if: codec == packed_codec::raw
      - id: zstd_payload
        size-eos: true
        if: codec == packed_codec::zstd
        doc: one zstd frame; decompressed (raw_len bytes) it is an index_body
  entry_body:
    params:
      - id: with_hash
        type: bool
        doc: true in the index, false in local headers
    seq:
      - id: kind
        type: u1
        enum: entry_kind
      - id: name
        type: blob
      - id: mode
        type: uvar
      - id: mtime_ns
        type: svar
      - id: size
        type: uvar
      - id: modality
        type: uvar
        doc: modality code, see enum modality (0 other, 1 text, 2 image-rgb, 3 image-gray, 4 speech)
      - id: transform_id
        type: uvar
      - id: link_target
        type: blob
      - id: content_hash
        size: 32
        if: with_hash and kind == entry_kind::file
        doc: BLAKE2b (digest_size=32) of the file's content (index form only)
      - id: n_streams
        type: uvar
      - id: streams
        type: stream
        repeat: expr
        repeat-expr: n_streams.value
      - id: future_fields
        size-eos: true
        doc: fields of later compatible versions; ignored
  stream:
    seq:
      - id: modality
        type: uvar
        doc: modality code, see enum modality (0 other, 1 text, 2 image-rgb, 3 image-gray, 4 speech)
      - id: n_dims
        type: uvar
      - id: geometry
        type: uvar
        repeat: expr
        repeat-expr: n_dims.value
      - id: length
        type: uvar
      - id: n_extents
        type: uvar
      - id: extents
        type: extent
        repeat: expr
        repeat-expr: n_extents.value
  extent:
    seq:
      - id: chunk_no_delta
        type: svar
        doc: chunk number minus the previous extent's chunk number in this stream (first from 0)
      - id: offset
        type: uvar
      - id: length
        type: uvar
  model_body:
    seq:
      - id: table_index
        type: uvar
      - id: name
        type: blob
      - id: sha256
        size: 32
  index_body:
    seq:
      - id: n_models
        type: uvar
      - id: models
        type: index_model
        repeat: expr
        repeat-expr: n_models.value
      - id: n_chunks
        type: uvar
      - id: chunks
        type: index_chunk
        repeat: expr
        repeat-expr: n_chunks.value
      - id: n_entries
        type: uvar
      - id: entries
        type: index_entry
        repeat: expr
        repeat-expr: n_entries.value
  index_model:
    seq:
      - id: name
        type: blob
      - id: sha256
        size: 32
  index_chunk:
    seq:
      - id: offset_delta
        type: uvar
        doc: frame offset minus the previous chunk's frame offset (first from 0)
      - id: frame_len
        type: uvar
      - id: codec_id
        type: uvar
      - id: raw_len
        type: uvar
      - id: payload_len
        type: uvar
  index_entry:
    seq:
      - id: offset_delta
        type: svar
        doc: local ENTRY frame offset minus the previous entry's (first from 0)
      - id: body_len
        type: uvar
      - id: body
        size: body_len.value
        type: entry_body(true)
  blob:
    seq:
      - id: len
        type: uvar
      - id: data
        size: len.value
  svar:
    doc: zigzag-mapped signed varint
    seq:
      - id: raw
        type: uvar
    instances:
      value:
        value: '(raw.value >> 1) ^ (-(raw.value & 1))'
  uvar:
    doc: unsigned LEB128, at most 10 bytes
    seq:
      - id: groups
        type: uvar_group
        repeat: until
        repeat-until: not _.has_next
    instances:
      value:
        value: >-
          groups[0].value
          + (groups.size >= 2 ? (groups[1].value << 7) : 0)
          + (groups.size >= 3 ? (groups[2].value << 14) : 0)
          + (groups.size >= 4 ? (groups[3].value << 21) : 0)
          + (groups.size >= 5 ? (groups[4].value << 28) : 0)
          + (groups.size >= 6 ? (groups[5].value << 35) : 0)
          + (groups.size >= 7 ? (groups[6].value << 42) : 0)
          + (groups.size >= 8 ? (groups[7].value << 49) : 0)
          + (groups.size >= 9 ? (groups[8].value << 56) : 0)
          + (groups.size >= 10 ? (groups[9].value << 63) : 0)
  uvar_group:
    seq:
      - id: b
        type: u1
    instances:
      has_next:
        value: (b & 0x80) != 0
      value:
        value: b & 0x7f
enums:
  packed_codec:
    0: raw
    1: zstd
  record_type:
    1: chunk
    2: entry
    3: model
    4: index
  entry_kind:
    0: file
    1: dir
    2: symlink
    3: hardlink
  modality:
    0: other
    1: text
    2: image_rgb
    3: image_gray
    4: speech
