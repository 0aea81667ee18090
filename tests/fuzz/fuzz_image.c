/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes the record image reader and criu show's JSON conversion: the input is
 * an image file; when the reader accepts it, every record is decoded with
 * every schema of the kind table and, where it decodes, printed as JSON.
 *
 * Random mutations almost never keep the checksums right, so each input is
 * also tried once more with its checksums and record count recomputed: that
 * lets mutated payloads through to the protobuf decoder and the conversion.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "log.h"
#include "show.h"

struct rec {
	const void *data;
	size_t len;
};

static void convert_all(const ProtobufCMessageDescriptor *desc, const struct rec *recs, size_t n)
{
	if (!desc)
		return;
	for (size_t i = 0; i < n; i++) {
		json_t *j = NULL;
		char *text;

		if (show_record_json(desc, recs[i].data, recs[i].len, &j) < 0)
			continue;
		text = show_json_text(j);
		if (!text)
			abort(); /* out of memory on a small input: a bug */
		free(text);
		json_decref(j);
	}
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Recomputes record checksums, the trailer's count and file checksum where the layout allows. */
static void repair(unsigned char *b, size_t len)
{
	size_t pos = IMG_HEADER_SIZE;
	uint32_t n = 0;

	if (len < IMG_HEADER_SIZE)
		return;
	while (len - pos >= 4) {
		uint32_t l = get32(b + pos);

		if (l == IMG_TRAILER_MARK) {
			if (len - pos == IMG_TRAILER_SIZE) {
				put32(b + pos + 4, n);
				put32(b + pos + 8, crc32c(0, b, pos));
			}
			return;
		}
		if (len - pos < 8 || len - pos - 8 < l)
			return;
		put32(b + pos + 4, crc32c(0, b + pos + 8, l));
		pos += 8 + (size_t)l;
		n++;
	}
}

static void try_image(unsigned char *copy, size_t size)
{
	struct img_reader *r;
	struct rec *recs;
	size_t n = 0;

	if (img_open_buf(copy, size, "fuzz.img", &r) < 0)
		return;
	recs = calloc(img_reader_count(r) + 1, sizeof(*recs));
	if (!recs)
		abort();
	while (img_next_record(r, &recs[n].data, &recs[n].len) > 0)
		n++;
	if (n != img_reader_count(r))
		abort();
	for (unsigned int k = 0; k < IMG_KIND_MAX; k++) {
		const struct img_kind_info *ki = img_kind_info(k);

		if (!ki)
			continue;
		convert_all(ki->head, recs, n);
		convert_all(ki->desc, recs, n);
	}
	free(recs);
	img_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	unsigned char *copy;

	if (!quiet) {
		log_set_level(0);
		quiet = 1;
	}
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	try_image(copy, size); /* takes copy over */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	repair(copy, size);
	if (size && !memcmp(copy, data, size)) {
		free(copy); /* nothing repaired: tried already */
		return 0;
	}
	try_image(copy, size);
	return 0;
}
