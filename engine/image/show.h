/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * criu show's JSON conversion, exposed for the fuzzer and the unit tests.
 * Conversion is generic (protobuf-c reflection): every scalar type, enums by
 * name, bytes in hex, nested and repeated messages; optional fields only when
 * present, empty repeated fields left out.
 */
#ifndef CR_IMAGE_SHOW_H
#define CR_IMAGE_SHOW_H

#include <stddef.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* A message as a JSON object; NULL when out of memory. */
json_t *show_msg_json(const ProtobufCMessage *m);
/*
 * Decodes one record as desc and converts it: 0 and *ret_json, -EBADMSG if it
 * does not decode, -ENOMEM. Logs nothing.
 */
int show_record_json(const ProtobufCMessageDescriptor *desc, const void *data, size_t len, json_t **ret_json);
/*
 * The JSON text of j (free() it), on one line. Unsigned 64-bit values above
 * INT64_MAX, which jansson cannot hold as integers, come out as plain
 * numbers too. NULL when out of memory.
 */
char *show_json_text(const json_t *j);

#endif
