/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * as_notify_gio.c — ukey-assistant --notify: renew_status (no PIN), then one
 * org.freedesktop.Notifications.Notify per certificate whose next threshold
 * was crossed, through GIO on the session bus. With --wait S the process
 * stays up to S seconds for the "Renew now" action and then starts the
 * assistant window.
 */
#include "as_logic.h"
#include "as_main.h"
#include "as_notify.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

struct wait_ctx {
	GMainLoop *loop;
	guint32 ids[AS_MAX_CERTS];
	size_t n_ids, open;
	const char *self;
};

static int our_id(struct wait_ctx *w, guint32 id)
{
	for (size_t i = 0; i < w->n_ids; i++)
		if (w->ids[i] == id)
			return 1;
	return 0;
}

static void on_signal(GDBusConnection *c, const gchar *sender, const gchar *path, const gchar *iface,
		      const gchar *signal, GVariant *params, gpointer data)
{
	(void)c; (void)sender; (void)path; (void)iface;
	struct wait_ctx *w = data;
	guint32 id = 0;
	if (strcmp(signal, "ActionInvoked") == 0) {
		const gchar *action = NULL;
		g_variant_get(params, "(u&s)", &id, &action);
		if (our_id(w, id)) {
			/* UKEY_ASSISTANT_OPEN_CMD: what the action starts (tests) */
			const char *cmd = g_getenv("UKEY_ASSISTANT_OPEN_CMD");
			gchar *argv[] = { (gchar *)(cmd && cmd[0] ? cmd : w->self), NULL };
			GError *err = NULL;
			if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err)) {
				fprintf(stderr, "ukey-assistant: %s\n", err->message);
				g_error_free(err);
			}
			g_main_loop_quit(w->loop);
		}
	} else if (strcmp(signal, "NotificationClosed") == 0) {
		guint32 reason = 0;
		g_variant_get(params, "(uu)", &id, &reason);
		if (our_id(w, id) && --w->open == 0)
			g_main_loop_quit(w->loop);
	}
}

static gboolean on_timeout(gpointer data)
{
	g_main_loop_quit(((struct wait_ctx *)data)->loop);
	return G_SOURCE_REMOVE;
}

static void hex(const unsigned char *b, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 3 <= cap; i++, o += 2)
		snprintf(out + o, 3, "%02x", b[i]);
	out[o] = '\0';
}

int as_notify_main(const struct renew_options *base, const char *self, long wait_s)
{
	struct renew_options ro = *base;
	ro.get_pin = NULL;
	ro.on_event = NULL;
	struct renew_inventory inv;
	struct renew_result res;
	memset(&inv, 0, sizeof(inv));
	memset(&res, 0, sizeof(res));
	enum renew_rc rc = renew_status(&ro, &inv, &res);
	if (rc != RENEW_OK) {
		/* no token is normal for a daily timer */
		printf("ukey-assistant --notify: %s\n", as_rc_text(rc));
		renew_inventory_free(&inv);
		return rc == RENEW_NO_TOKEN ? 0 : 1;
	}
	char path[4200];
	struct as_notify_state st;
	if (as_notify_state_path(path, sizeof(path)) != 0 || as_notify_state_load(&st, path) != 0) {
		fprintf(stderr, "ukey-assistant: cannot read %s\n", path);
		renew_inventory_free(&inv);
		return 1;
	}
	GError *err = NULL;
	GDBusConnection *bus = NULL;
	struct wait_ctx w;
	memset(&w, 0, sizeof(w));
	w.self = self;
	w.loop = g_main_loop_new(NULL, FALSE);
	time_t now = as_now();
	int failed = 0, sent = 0;
	guint sub = 0;
	for (size_t i = 0; i < inv.n_certs; i++) {
		const struct renew_cert_info *c = &inv.certs[i];
		if (c->superseded)
			continue;
		char idh[129];
		hex(c->id, c->id_len, idh, sizeof(idh));
		struct as_notify_entry *e = as_notify_state_get(&st, c->token_serial, idh, (long long)c->not_after);
		if (e == NULL)
			continue;
		long days = as_days_between(now, c->not_after);
		unsigned mask = e->mask;
		long t = as_notify_decide(days, &mask);
		if (t == 0)
			continue;
		if (bus == NULL && (bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &err)) == NULL) {
			fprintf(stderr, "ukey-assistant: no session bus: %s\n", err->message);
			g_clear_error(&err);
			failed = 1;
			break;
		}
		if (wait_s > 0 && sub == 0)
			/* before the first Notify: a click may come at once */
			sub = g_dbus_connection_signal_subscribe(bus, NULL, "org.freedesktop.Notifications", NULL,
								 "/org/freedesktop/Notifications", NULL,
								 G_DBUS_SIGNAL_FLAGS_NONE, on_signal, &w, NULL);
		char summary[256], body[1024], date[40], dl[64];
		as_fmt_date(c->not_after, date, sizeof(date));
		as_days_text(days, dl, sizeof(dl));
		if (days < 0)
			snprintf(summary, sizeof(summary), "%s", _("Your certificate has expired"));
		else
			snprintf(summary, sizeof(summary), _("Your certificate expires soon (%s)"), dl);
		snprintf(body, sizeof(body),
			 _("The certificate \"%s\" on the key \"%s\" is valid until %s. Renew it now: "
			   "open the renewal assistant and have your key and its PIN ready."),
			 c->subject, c->token_label, date);
		GVariantBuilder actions;
		g_variant_builder_init(&actions, G_VARIANT_TYPE("as"));
		g_variant_builder_add(&actions, "s", "default");
		g_variant_builder_add(&actions, "s", _("Renew now"));
		GVariantBuilder hints;
		g_variant_builder_init(&hints, G_VARIANT_TYPE("a{sv}"));
		g_variant_builder_add(&hints, "{sv}", "desktop-entry", g_variant_new_string("ukey-assistant"));
		g_variant_builder_add(&hints, "{sv}", "urgency", g_variant_new_byte(days <= 10 ? 2 : 1));
		GVariant *r = g_dbus_connection_call_sync(
			bus, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
			"org.freedesktop.Notifications", "Notify",
			g_variant_new("(susssasa{sv}i)", "ukey-assistant", (guint32)0, "ukey-assistant",
				      summary, body, &actions, &hints, (gint32)-1),
			G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &err);
		if (r == NULL) {
			fprintf(stderr, "ukey-assistant: notification not sent: %s\n", err->message);
			g_clear_error(&err);
			failed = 1;
			continue; /* not marked: tried again next time */
		}
		guint32 id = 0;
		g_variant_get(r, "(u)", &id);
		g_variant_unref(r);
		if (w.n_ids < AS_MAX_CERTS)
			w.ids[w.n_ids++] = id;
		e->mask = mask;
		sent++;
		printf("ukey-assistant --notify: %s: %ld days left, %ld-day reminder sent\n", c->subject, days, t);
	}
	renew_inventory_free(&inv);
	if (sent > 0 && as_notify_state_save(&st, path) != 0) {
		fprintf(stderr, "ukey-assistant: cannot write %s\n", path);
		failed = 1;
	}
	as_notify_state_free(&st);
	if (sent == 0 && !failed)
		printf("ukey-assistant --notify: %s\n", _("No reminder is due."));
	if (bus != NULL && sent > 0 && wait_s > 0) {
		w.open = w.n_ids;
		g_timeout_add_seconds((guint)wait_s, on_timeout, &w);
		g_main_loop_run(w.loop);
	}
	g_main_loop_unref(w.loop);
	if (sub != 0)
		g_dbus_connection_signal_unsubscribe(bus, sub);
	if (bus != NULL) {
		g_dbus_connection_flush_sync(bus, NULL, NULL);
		g_object_unref(bus);
	}
	return failed ? 1 : 0;
}
