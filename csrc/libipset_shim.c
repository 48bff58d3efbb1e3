/*
 * Non-exiting error and output callbacks for libipset's command parser.
 *
 * libipset's default error handlers call exit() in non-interactive mode, and
 * its output callbacks are variadic, which stable Rust cannot define. This
 * shim formats every message into a buffer and hands it to Rust; it never
 * exits and never prints. See src/kernel/libipset.rs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libipset/ipset.h>

/* Implemented in Rust (src/kernel/libipset.rs). */
extern void mipset_shim_output(void *ctx, const char *data, size_t len);
extern void mipset_shim_error(void *ctx, int status, const char *msg, size_t len);
extern void mipset_shim_warning(void *ctx, const char *msg, size_t len);

static int vformat(void *ctx, int kind, int status, const char *fmt, va_list args)
{
	char small[512];
	va_list copy;
	va_copy(copy, args);
	int n = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (n < 0)
		return n;
	char *buf = small;
	if ((size_t)n >= sizeof(small)) {
		buf = malloc((size_t)n + 1);
		if (buf == NULL)
			return -1;
		vsnprintf(buf, (size_t)n + 1, fmt, args);
	}
	if (kind == 0)
		mipset_shim_output(ctx, buf, (size_t)n);
	else
		mipset_shim_error(ctx, status, buf, (size_t)n);
	if (buf != small)
		free(buf);
	return n;
}

static int shim_print(struct ipset_session *session, void *ctx, const char *fmt, ...)
{
	(void)session;
	va_list args;
	va_start(args, fmt);
	int n;
	if (strcmp(fmt, "%s") == 0) {
		/* libipset flushes its whole output buffer as "%s": pass it on
		 * without formatting it again. */
		const char *text = va_arg(args, const char *);
		size_t len = strlen(text);
		mipset_shim_output(ctx, text, len);
		n = (int)len;
	} else {
		n = vformat(ctx, 0, 0, fmt, args);
	}
	va_end(args);
	return n;
}

static int shim_custom_error(struct ipset *ipset, void *ctx, int status, const char *msg, ...)
{
	struct ipset_session *session = ipset_session(ipset);
	if (status && msg) {
		va_list args;
		va_start(args, msg);
		vformat(ctx, 1, status, msg, args);
		va_end(args);
	}
	if (session)
		ipset_session_report_reset(session);
	return status ? -1 : 0;
}

static int shim_standard_error(struct ipset *ipset, void *ctx)
{
	struct ipset_session *session = ipset_session(ipset);
	enum ipset_err_type type = ipset_session_report_type(session);
	const char *msg = ipset_session_report_msg(session);
	size_t len = 0;
	while (msg && msg[len])
		len++;
	if (type == IPSET_ERROR)
		mipset_shim_error(ctx, IPSET_SESSION_PROBLEM, msg ? msg : "", len);
	else if (type == IPSET_WARNING || type == IPSET_NOTICE)
		mipset_shim_warning(ctx, msg ? msg : "", len);
	ipset_session_report_reset(session);
	return type == IPSET_ERROR ? -1 : 0;
}

/* Create an ipset handle whose callbacks report into ctx and never exit. */
struct ipset *mipset_shim_init(void *ctx)
{
	ipset_load_types();
	struct ipset *ipset = ipset_init();
	if (ipset == NULL)
		return NULL;
	ipset_custom_printf(ipset, shim_custom_error, shim_standard_error, shim_print, ctx);
	return ipset;
}
