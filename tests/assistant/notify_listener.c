/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * notify_listener.c — a stand-in notification daemon for the tests: owns
 * org.freedesktop.Notifications on the session bus (DBUS_SESSION_BUS_ADDRESS,
 * a private dbus-daemon), answers Notify with increasing ids and appends one
 * line per call to RECORD: "app_name<TAB>summary<TAB>body<TAB>actions".
 * Writes READY once the name is owned; exits on SIGTERM / SIGINT.
 * LISTENER_INVOKE=1: answers every Notify with an ActionInvoked "default"
 * signal to the caller (the user clicked it).
 */
#include <gio/gio.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *record_path;
static guint32 next_id = 1;

static const gchar introspection[] =
	"<node><interface name='org.freedesktop.Notifications'>"
	"<method name='Notify'><arg type='s' direction='in'/><arg type='u' direction='in'/>"
	"<arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/>"
	"<arg type='as' direction='in'/><arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
	"<arg type='u' direction='out'/></method>"
	"<method name='CloseNotification'><arg type='u' direction='in'/></method>"
	"<method name='GetCapabilities'><arg type='as' direction='out'/></method>"
	"<method name='GetServerInformation'><arg type='s' direction='out'/><arg type='s' direction='out'/>"
	"<arg type='s' direction='out'/><arg type='s' direction='out'/></method>"
	"<signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>"
	"<signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
	"</interface></node>";

static void method_call(GDBusConnection *c, const gchar *sender, const gchar *path, const gchar *iface,
			const gchar *method, GVariant *params, GDBusMethodInvocation *inv, gpointer data)
{
	(void)path; (void)iface; (void)data;
	if (strcmp(method, "Notify") == 0) {
		const gchar *app, *icon, *summary, *body;
		guint32 replaces;
		gint32 timeout;
		GVariant *actions, *hints;
		g_variant_get(params, "(&su&s&s&s@as@a{sv}i)", &app, &replaces, &icon, &summary, &body,
			      &actions, &hints, &timeout);
		GString *acts = g_string_new("");
		gsize n;
		const gchar **a = g_variant_get_strv(actions, &n);
		for (gsize i = 0; i < n; i++)
			g_string_append_printf(acts, "%s%s", i ? "," : "", a[i]);
		g_free(a);
		FILE *f = fopen(record_path, "a");
		if (f != NULL) {
			fprintf(f, "%s\t%s\t%s\t%s\n", app, summary, body, acts->str);
			fclose(f);
		}
		g_string_free(acts, TRUE);
		g_variant_unref(actions);
		g_variant_unref(hints);
		guint32 id = next_id++;
		g_dbus_method_invocation_return_value(inv, g_variant_new("(u)", id));
		/* LISTENER_INVOKE=1: the user clicks the notification at once */
		if (g_getenv("LISTENER_INVOKE") != NULL)
			g_dbus_connection_emit_signal(c, sender, "/org/freedesktop/Notifications",
						      "org.freedesktop.Notifications", "ActionInvoked",
						      g_variant_new("(us)", id, "default"), NULL);
	} else if (strcmp(method, "GetCapabilities") == 0) {
		const gchar *caps[] = { "actions", "body", NULL };
		g_dbus_method_invocation_return_value(inv, g_variant_new("(^as)", caps));
	} else if (strcmp(method, "GetServerInformation") == 0) {
		g_dbus_method_invocation_return_value(inv, g_variant_new("(ssss)", "notify_listener", "ukey",
									 "1", "1.2"));
	} else {
		g_dbus_method_invocation_return_value(inv, NULL);
	}
}

static const GDBusInterfaceVTable vtable = { method_call, NULL, NULL, { 0 } };

static void on_acquired(GDBusConnection *c, const gchar *name, gpointer ready)
{
	(void)c; (void)name;
	FILE *f = fopen(ready, "w");
	if (f != NULL)
		fclose(f);
}

static void on_lost(GDBusConnection *c, const gchar *name, gpointer data)
{
	(void)c; (void)data;
	fprintf(stderr, "notify_listener: lost or could not own %s\n", name);
	exit(1);
}

static gboolean on_term(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: notify_listener RECORD READY\n");
		return 2;
	}
	record_path = argv[1];
	GError *err = NULL;
	GDBusConnection *bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &err);
	if (bus == NULL) {
		fprintf(stderr, "notify_listener: %s\n", err->message);
		return 1;
	}
	GDBusNodeInfo *node = g_dbus_node_info_new_for_xml(introspection, NULL);
	g_dbus_connection_register_object(bus, "/org/freedesktop/Notifications", node->interfaces[0], &vtable,
					  NULL, NULL, &err);
	GMainLoop *loop = g_main_loop_new(NULL, FALSE);
	g_bus_own_name_on_connection(bus, "org.freedesktop.Notifications", G_BUS_NAME_OWNER_FLAGS_NONE,
				     on_acquired, on_lost, argv[2], NULL);
	g_unix_signal_add(SIGTERM, on_term, loop);
	g_unix_signal_add(SIGINT, on_term, loop);
	g_main_loop_run(loop);
	g_dbus_node_info_unref(node);
	g_object_unref(bus);
	g_main_loop_unref(loop);
	return 0;
}
