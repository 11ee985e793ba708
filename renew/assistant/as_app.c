/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * as_app.c — the GTK 4 window of ukey-assistant. It mirrors struct as_model
 * (as_logic.c) and does no token or network work itself: one worker thread
 * makes every librenew call (renew_status every 2 s, renew_renew when asked)
 * and posts the outcome back with g_idle_add. The PIN travels from the
 * dialog to the worker through a buffer that is wiped as soon as the
 * library has it; it is never stored.
 *
 * Test hooks: UKEY_ASSISTANT_TRACE=1 prints "page: NAME" on every page change
 * and "shown: TEXT" for every text put on screen (stdout), so a test can wait
 * for a page and check that no untranslated message is shown.
 * UKEY_ASSISTANT_TEST_PAUSE_STEP=N (a renew_step number) holds the worker
 * UKEY_ASSISTANT_TEST_PAUSE_S seconds (default 3) when step N starts, once,
 * after printing "paused: N": the test pulls the token in that window.
 */
#include "as_logic.h"
#include "as_main.h"

#include <gtk/gtk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct app {
	GtkApplication *gapp;
	GtkWindow *win;
	GtkStack *stack;
	GtkLabel *title;
	GtkListBox *list;
	GtkLabel *list_status;
	GtkButton *renew_btn;
	GtkPasswordEntry *pin_entry;
	GtkLabel *pin_info, *pin_tries;
	GtkButton *pin_ok;
	GtkLabel *prog_label;
	GtkProgressBar *prog_bar;
	GtkLabel *msg_body;
	GtkButton *retry_btn, *close_btn;
	char list_sig[8192];
	enum as_page shown_page;
	int trace;

	struct as_model m;
	struct renew_options base;
	struct rn_config cfg;

	GThread *worker;
	GMutex mu;
	GCond cond;
	int want_renew, quit;
	unsigned char job_id[64]; /* the certificate of the job, copied under mu */
	size_t job_id_len;
	int pin_state; /* 0 idle, 1 asked, 2 given, 3 cancelled */
	char pin[256];
	size_t pin_len;
};

static struct app A;

static void refresh(struct app *a);

static void trace_text(struct app *a, const char *t)
{
	if (a->trace && t && t[0])
		printf("shown: %s\n", t), fflush(stdout);
}

static void set_label(struct app *a, GtkLabel *l, const char *t)
{
	if (strcmp(gtk_label_get_text(l), t) != 0) {
		gtk_label_set_text(l, t);
		trace_text(a, t);
	}
}

/* ---- worker ---- */

struct ev_msg { struct renew_event ev; };
struct fin_msg { enum renew_rc rc; struct renew_result res; };
struct inv_msg { enum renew_rc rc; struct renew_inventory inv; };
struct pin_msg { int tries; };

static gboolean on_event_idle(gpointer p)
{
	struct ev_msg *e = p;
	as_model_event(&A.m, &e->ev);
	refresh(&A);
	g_free(e);
	return G_SOURCE_REMOVE;
}

static void w_on_event(const struct renew_event *ev, void *arg)
{
	(void)arg;
	if (ev->type != RENEW_EV_STEP && ev->type != RENEW_EV_WAITING)
		return;
	static int paused;
	const char *ps = g_getenv("UKEY_ASSISTANT_TEST_PAUSE_STEP");
	if (ev->type == RENEW_EV_STEP && ps != NULL && !paused && atoi(ps) == (int)ev->step) {
		const char *pt = g_getenv("UKEY_ASSISTANT_TEST_PAUSE_S");
		paused = 1;
		printf("paused: %d\n", (int)ev->step);
		fflush(stdout);
		g_usleep((gulong)(pt ? atoi(pt) : 3) * G_USEC_PER_SEC);
	}
	struct ev_msg *e = g_new0(struct ev_msg, 1);
	e->ev = *ev;
	e->ev.text = NULL;
	g_idle_add(on_event_idle, e);
}

static gboolean on_pin_idle(gpointer p)
{
	struct pin_msg *m = p;
	as_model_pin_request(&A.m, m->tries);
	g_free(m);
	refresh(&A);
	gtk_editable_set_text(GTK_EDITABLE(A.pin_entry), "");
	gtk_widget_grab_focus(GTK_WIDGET(A.pin_entry));
	return G_SOURCE_REMOVE;
}

static int w_get_pin(char *pin, size_t cap, int tries_left, void *arg)
{
	struct app *a = arg;
	int len = -1;
	g_mutex_lock(&a->mu);
	if (a->pin_state == 2) {
		/* given in advance: the retry after a wrong PIN */
	} else {
		a->pin_state = 1;
		struct pin_msg *m = g_new0(struct pin_msg, 1);
		m->tries = tries_left;
		g_idle_add(on_pin_idle, m);
		while (a->pin_state == 1 && !a->quit)
			g_cond_wait(&a->cond, &a->mu);
	}
	if (a->pin_state == 2 && a->pin_len < cap) {
		memcpy(pin, a->pin, a->pin_len);
		pin[a->pin_len] = '\0';
		len = (int)a->pin_len;
	}
	explicit_bzero(a->pin, sizeof(a->pin));
	a->pin_len = 0;
	a->pin_state = 0;
	g_mutex_unlock(&a->mu);
	return len;
}

static gboolean on_finish_idle(gpointer p)
{
	struct fin_msg *f = p;
	as_model_finish(&A.m, f->rc, &f->res);
	explicit_bzero(f, sizeof(*f));
	g_free(f);
	refresh(&A);
	return G_SOURCE_REMOVE;
}

static gboolean on_inv_idle(gpointer p)
{
	struct inv_msg *i = p;
	as_model_set_inventory(&A.m, i->rc, &i->inv);
	renew_inventory_free(&i->inv);
	g_free(i);
	refresh(&A);
	return G_SOURCE_REMOVE;
}

static gpointer worker_main(gpointer p)
{
	struct app *a = p;
	g_mutex_lock(&a->mu);
	while (!a->quit) {
		if (a->want_renew) {
			a->want_renew = 0;
			struct renew_options ro = a->base;
			ro.id = a->job_id_len ? a->job_id : NULL;
			ro.id_len = a->job_id_len;
			ro.on_event = w_on_event;
			ro.get_pin = w_get_pin;
			ro.arg = a;
			g_mutex_unlock(&a->mu);
			struct fin_msg *f = g_new0(struct fin_msg, 1);
			f->rc = ro.server ? renew_renew(&ro, &f->res) : RENEW_CONFIG;
			if (!ro.server)
				snprintf(f->res.detail, sizeof(f->res.detail), "no server in renew.conf");
			g_idle_add(on_finish_idle, f);
			g_mutex_lock(&a->mu);
			/* a PIN typed for a job that never asked for it */
			explicit_bzero(a->pin, sizeof(a->pin));
			a->pin_len = 0;
			a->pin_state = 0;
			continue;
		}
		g_mutex_unlock(&a->mu);
		struct inv_msg *i = g_new0(struct inv_msg, 1);
		struct renew_result res;
		memset(&res, 0, sizeof(res));
		struct renew_options ro = a->base;
		ro.get_pin = NULL;
		ro.on_event = NULL;
		i->rc = renew_status(&ro, &i->inv, &res);
		g_idle_add(on_inv_idle, i);
		g_mutex_lock(&a->mu);
		gint64 until = g_get_monotonic_time() + 2 * G_TIME_SPAN_SECOND;
		while (!a->quit && !a->want_renew)
			if (!g_cond_wait_until(&a->cond, &a->mu, until))
				break;
	}
	g_mutex_unlock(&a->mu);
	return NULL;
}

static void request_renew(struct app *a)
{
	if (as_model_start(&a->m) != 0)
		return;
	g_mutex_lock(&a->mu);
	memcpy(a->job_id, a->m.sel_id, a->m.sel_id_len);
	a->job_id_len = a->m.sel_id_len;
	a->want_renew = 1;
	g_cond_broadcast(&a->cond);
	g_mutex_unlock(&a->mu);
	refresh(a);
}

/* ---- callbacks ---- */

static void on_renew(GtkButton *b, gpointer p)
{
	(void)b;
	request_renew(p);
}

static void on_pin_ok(GtkWidget *w, gpointer p)
{
	(void)w;
	struct app *a = p;
	if (a->m.page != AS_PAGE_PIN)
		return;
	const char *t = gtk_editable_get_text(GTK_EDITABLE(a->pin_entry));
	size_t l = strlen(t);
	if (l == 0 || l >= sizeof(a->pin))
		return;
	g_mutex_lock(&a->mu);
	memcpy(a->pin, t, l);
	a->pin_len = l;
	a->pin_state = 2;
	g_cond_broadcast(&a->cond);
	g_mutex_unlock(&a->mu);
	gtk_editable_set_text(GTK_EDITABLE(a->pin_entry), "");
	if (a->m.restart) {
		/* after a wrong PIN: a new job, the PIN is handed over at its request */
		request_renew(a);
	} else {
		as_model_pin_given(&a->m);
		refresh(a);
	}
}

static void on_pin_cancel(GtkButton *b, gpointer p)
{
	(void)b;
	struct app *a = p;
	gtk_editable_set_text(GTK_EDITABLE(a->pin_entry), "");
	if (a->m.restart) {
		as_model_back(&a->m);
		refresh(a);
		return;
	}
	g_mutex_lock(&a->mu);
	a->pin_state = 3;
	g_cond_broadcast(&a->cond);
	g_mutex_unlock(&a->mu);
	as_model_pin_cancel(&a->m);
	refresh(a);
}

static void on_retry(GtkButton *b, gpointer p)
{
	(void)b;
	request_renew(p);
}

static void on_close(GtkButton *b, gpointer p)
{
	(void)b;
	struct app *a = p;
	as_model_back(&a->m);
	refresh(a);
}

static void on_row_selected(GtkListBox *lb, GtkListBoxRow *row, gpointer p)
{
	(void)lb;
	struct app *a = p;
	if (row != NULL && a->m.page == AS_PAGE_TOKENS && !a->m.busy) {
		as_model_select(&a->m, gtk_list_box_row_get_index(row));
		refresh(a);
	}
}

static gboolean on_escape(GtkWidget *w, GVariant *args, gpointer p)
{
	(void)w; (void)args;
	struct app *a = p;
	if (a->m.page == AS_PAGE_PIN)
		on_pin_cancel(NULL, a);
	else if (!a->m.busy && a->m.page != AS_PAGE_TOKENS && a->m.page != AS_PAGE_PROGRESS)
		on_close(NULL, a);
	else
		return FALSE;
	return TRUE;
}

/* ---- view ---- */

static const char *page_name(enum as_page p)
{
	static const char *const n[] = { "tokens", "pin", "progress", "result", "failed", "removed" };
	return n[p];
}

static void rebuild_list(struct app *a)
{
	char sig[8192] = "";
	size_t o = 0;
	for (size_t i = 0; i < a->m.n_certs && o < sizeof(sig) - 200; i++) {
		const struct as_cert *c = &a->m.certs[i];
		o += (size_t)snprintf(sig + o, sizeof(sig) - o, "%s/%zu/%ld/%d/%lld;", c->token_serial, c->id_len,
				      c->days_left, c->state, (long long)c->not_after);
	}
	snprintf(sig + o, sizeof(sig) - o, "%zu", a->m.n_tokens);
	if (strcmp(sig, a->list_sig) == 0)
		return;
	snprintf(a->list_sig, sizeof(a->list_sig), "%s", sig);
	GtkWidget *ch;
	while ((ch = gtk_widget_get_first_child(GTK_WIDGET(a->list))) != NULL)
		gtk_list_box_remove(a->list, ch);
	for (size_t i = 0; i < a->m.n_certs; i++) {
		const struct as_cert *c = &a->m.certs[i];
		char days[64], until[40];
		as_days_text(c->days_left, days, sizeof(days));
		as_fmt_date(c->not_after, until, sizeof(until));
		char valid[128];
		snprintf(valid, sizeof(valid), _("valid until %s"), until);
		gchar *s = g_markup_escape_text(c->subject, -1), *is = g_markup_escape_text(c->issuer, -1),
		      *tl = g_markup_escape_text(c->token_label, -1);
		gchar *mk = g_strdup_printf("<b>%s</b>\n%s: %s\n%s: %s (%s)\n<b>%s</b> · %s · %s", s,
					    _("Issuer"), is, _("Key"), tl, c->token_serial,
					    as_state_text(c->state), days, valid);
		GtkWidget *l = gtk_label_new(NULL);
		gtk_label_set_markup(GTK_LABEL(l), mk);
		gtk_label_set_xalign(GTK_LABEL(l), 0);
		gtk_label_set_wrap(GTK_LABEL(l), TRUE);
		gtk_widget_set_margin_start(l, 8);
		gtk_widget_set_margin_top(l, 6);
		gtk_widget_set_margin_bottom(l, 6);
		gtk_list_box_append(a->list, l);
		trace_text(a, as_state_text(c->state));
		trace_text(a, days);
		g_free(mk);
		g_free(s);
		g_free(is);
		g_free(tl);
	}
}

static void refresh(struct app *a)
{
	struct as_model *m = &a->m;
	char buf[4096];
	if (m->page != a->shown_page || a->shown_page == (enum as_page)-1) {
		a->shown_page = m->page;
		if (a->trace)
			printf("page: %s\n", page_name(m->page)), fflush(stdout);
	}
	set_label(a, a->title, as_page_title(m->page));
	switch (m->page) {
	case AS_PAGE_TOKENS:
		rebuild_list(a);
		if (m->selected >= 0) {
			GtkListBoxRow *r = gtk_list_box_get_row_at_index(a->list, m->selected);
			if (r != NULL && gtk_list_box_get_selected_row(a->list) != r)
				gtk_list_box_select_row(a->list, r);
		}
		as_list_text(m, buf, sizeof(buf));
		set_label(a, a->list_status, buf);
		gtk_widget_set_sensitive(GTK_WIDGET(a->renew_btn), as_model_can_renew(m));
		gtk_stack_set_visible_child_name(a->stack, "tokens");
		break;
	case AS_PAGE_PIN: {
		const struct as_cert *c = as_model_selected(m);
		snprintf(buf, sizeof(buf), _("The PIN of the key \"%s\" is needed to sign the renewal request. It is not stored."),
			 c ? c->token_label : "");
		set_label(a, a->pin_info, buf);
		as_tries_text(m->wrong_pin, m->tries_left, buf, sizeof(buf));
		set_label(a, a->pin_tries, buf);
		gtk_widget_set_visible(GTK_WIDGET(a->pin_tries), buf[0] != '\0');
		if (strcmp(gtk_stack_get_visible_child_name(a->stack), "pin") != 0) {
			gtk_stack_set_visible_child_name(a->stack, "pin");
			gtk_widget_grab_focus(GTK_WIDGET(a->pin_entry));
		}
		break;
	}
	case AS_PAGE_PROGRESS:
		as_progress_text(m, buf, sizeof(buf));
		set_label(a, a->prog_label, buf);
		gtk_progress_bar_pulse(a->prog_bar);
		gtk_stack_set_visible_child_name(a->stack, "progress");
		break;
	default:
		as_result_text(m, buf, sizeof(buf));
		set_label(a, a->msg_body, buf);
		gtk_widget_set_visible(GTK_WIDGET(a->retry_btn), m->page != AS_PAGE_RESULT);
		gtk_widget_set_sensitive(GTK_WIDGET(a->retry_btn),
					 m->page == AS_PAGE_REMOVED ? m->token_back : !m->busy);
		if (strcmp(gtk_stack_get_visible_child_name(a->stack), "message") != 0) {
			gtk_stack_set_visible_child_name(a->stack, "message");
			gtk_widget_grab_focus(GTK_WIDGET(m->page == AS_PAGE_RESULT ? a->close_btn : a->retry_btn));
		}
		break;
	}
	/* the removed page's Retry becomes usable when the key is back */
	if (m->page == AS_PAGE_REMOVED && m->token_back && a->trace)
		trace_text(a, _("The key is back. Press Retry."));
}

static GtkWidget *vbox(void)
{
	GtkWidget *b = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	gtk_widget_set_margin_start(b, 18);
	gtk_widget_set_margin_end(b, 18);
	gtk_widget_set_margin_top(b, 12);
	gtk_widget_set_margin_bottom(b, 18);
	return b;
}

static GtkLabel *wrap_label(const char *t)
{
	GtkWidget *l = gtk_label_new(t);
	gtk_label_set_wrap(GTK_LABEL(l), TRUE);
	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gtk_label_set_selectable(GTK_LABEL(l), FALSE);
	return GTK_LABEL(l);
}

static gboolean on_close_request(GtkWindow *w, gpointer p)
{
	(void)w;
	struct app *a = p;
	g_mutex_lock(&a->mu);
	a->quit = 1;
	a->pin_state = a->pin_state == 1 ? 3 : a->pin_state;
	g_cond_broadcast(&a->cond);
	g_mutex_unlock(&a->mu);
	return FALSE;
}

static void activate(GtkApplication *gapp, gpointer p)
{
	struct app *a = p;
	if (a->win != NULL) {
		gtk_window_present(a->win);
		return;
	}
	a->win = GTK_WINDOW(gtk_application_window_new(gapp));
	gtk_window_set_title(a->win, _("Certificate renewal"));
	gtk_window_set_icon_name(a->win, "ukey-assistant");
	gtk_window_set_default_size(a->win, 760, 560);
	g_signal_connect(a->win, "close-request", G_CALLBACK(on_close_request), a);

	GtkWidget *root = vbox();
	a->title = wrap_label("");
	gtk_widget_add_css_class(GTK_WIDGET(a->title), "title-2");
	gtk_box_append(GTK_BOX(root), GTK_WIDGET(a->title));
	a->stack = GTK_STACK(gtk_stack_new());
	gtk_widget_set_vexpand(GTK_WIDGET(a->stack), TRUE);
	gtk_box_append(GTK_BOX(root), GTK_WIDGET(a->stack));

	/* tokens */
	GtkWidget *p1 = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	GtkWidget *sc = gtk_scrolled_window_new();
	gtk_widget_set_vexpand(sc, TRUE);
	a->list = GTK_LIST_BOX(gtk_list_box_new());
	gtk_list_box_set_selection_mode(a->list, GTK_SELECTION_SINGLE);
	g_signal_connect(a->list, "row-selected", G_CALLBACK(on_row_selected), a);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(sc), GTK_WIDGET(a->list));
	gtk_box_append(GTK_BOX(p1), sc);
	a->list_status = wrap_label("");
	gtk_box_append(GTK_BOX(p1), GTK_WIDGET(a->list_status));
	a->renew_btn = GTK_BUTTON(gtk_button_new_with_mnemonic(_("_Renew")));
	gtk_widget_set_halign(GTK_WIDGET(a->renew_btn), GTK_ALIGN_END);
	gtk_widget_add_css_class(GTK_WIDGET(a->renew_btn), "suggested-action");
	g_signal_connect(a->renew_btn, "clicked", G_CALLBACK(on_renew), a);
	gtk_box_append(GTK_BOX(p1), GTK_WIDGET(a->renew_btn));
	gtk_stack_add_named(a->stack, p1, "tokens");

	/* PIN */
	GtkWidget *p2 = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	a->pin_info = wrap_label("");
	gtk_box_append(GTK_BOX(p2), GTK_WIDGET(a->pin_info));
	GtkWidget *pl = gtk_label_new_with_mnemonic(_("_PIN:"));
	gtk_label_set_xalign(GTK_LABEL(pl), 0);
	gtk_box_append(GTK_BOX(p2), pl);
	a->pin_entry = GTK_PASSWORD_ENTRY(gtk_password_entry_new());
	gtk_password_entry_set_show_peek_icon(a->pin_entry, FALSE);
	gtk_label_set_mnemonic_widget(GTK_LABEL(pl), GTK_WIDGET(a->pin_entry));
	g_signal_connect(a->pin_entry, "activate", G_CALLBACK(on_pin_ok), a);
	gtk_box_append(GTK_BOX(p2), GTK_WIDGET(a->pin_entry));
	a->pin_tries = wrap_label("");
	gtk_widget_add_css_class(GTK_WIDGET(a->pin_tries), "error");
	gtk_box_append(GTK_BOX(p2), GTK_WIDGET(a->pin_tries));
	GtkWidget *bb = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	gtk_widget_set_halign(bb, GTK_ALIGN_END);
	GtkWidget *cancel = gtk_button_new_with_mnemonic(_("_Cancel"));
	g_signal_connect(cancel, "clicked", G_CALLBACK(on_pin_cancel), a);
	a->pin_ok = GTK_BUTTON(gtk_button_new_with_mnemonic(_("_OK")));
	gtk_widget_add_css_class(GTK_WIDGET(a->pin_ok), "suggested-action");
	g_signal_connect(a->pin_ok, "clicked", G_CALLBACK(on_pin_ok), a);
	gtk_box_append(GTK_BOX(bb), cancel);
	gtk_box_append(GTK_BOX(bb), GTK_WIDGET(a->pin_ok));
	gtk_box_append(GTK_BOX(p2), bb);
	gtk_stack_add_named(a->stack, p2, "pin");

	/* progress */
	GtkWidget *p3 = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	a->prog_bar = GTK_PROGRESS_BAR(gtk_progress_bar_new());
	gtk_box_append(GTK_BOX(p3), GTK_WIDGET(a->prog_bar));
	a->prog_label = wrap_label("");
	gtk_box_append(GTK_BOX(p3), GTK_WIDGET(a->prog_label));
	gtk_stack_add_named(a->stack, p3, "progress");

	/* result / failed / removed */
	GtkWidget *p4 = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	a->msg_body = wrap_label("");
	gtk_label_set_selectable(a->msg_body, TRUE);
	gtk_widget_set_vexpand(GTK_WIDGET(a->msg_body), TRUE);
	gtk_widget_set_valign(GTK_WIDGET(a->msg_body), GTK_ALIGN_START);
	gtk_box_append(GTK_BOX(p4), GTK_WIDGET(a->msg_body));
	GtkWidget *bb2 = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	gtk_widget_set_halign(bb2, GTK_ALIGN_END);
	a->close_btn = GTK_BUTTON(gtk_button_new_with_mnemonic(_("_Close")));
	g_signal_connect(a->close_btn, "clicked", G_CALLBACK(on_close), a);
	a->retry_btn = GTK_BUTTON(gtk_button_new_with_mnemonic(_("_Retry")));
	gtk_widget_add_css_class(GTK_WIDGET(a->retry_btn), "suggested-action");
	g_signal_connect(a->retry_btn, "clicked", G_CALLBACK(on_retry), a);
	gtk_box_append(GTK_BOX(bb2), GTK_WIDGET(a->close_btn));
	gtk_box_append(GTK_BOX(bb2), GTK_WIDGET(a->retry_btn));
	gtk_box_append(GTK_BOX(p4), bb2);
	gtk_stack_add_named(a->stack, p4, "message");

	/* Escape: Cancel on the PIN page, Close on the message pages */
	GtkEventController *sc_ctl = gtk_shortcut_controller_new();
	gtk_shortcut_controller_set_scope(GTK_SHORTCUT_CONTROLLER(sc_ctl), GTK_SHORTCUT_SCOPE_GLOBAL);
	gtk_shortcut_controller_add_shortcut(GTK_SHORTCUT_CONTROLLER(sc_ctl),
		gtk_shortcut_new(gtk_shortcut_trigger_parse_string("Escape"),
				 gtk_callback_action_new(on_escape, a, NULL)));
	gtk_widget_add_controller(GTK_WIDGET(a->win), sc_ctl);

	gtk_window_set_child(a->win, root);
	/* the fixed texts, for the trace (the zh_CN test checks them too) */
	trace_text(a, gtk_window_get_title(a->win));
	trace_text(a, gtk_button_get_label(a->renew_btn));
	trace_text(a, gtk_label_get_label(GTK_LABEL(pl)));
	trace_text(a, gtk_button_get_label(GTK_BUTTON(cancel)));
	trace_text(a, gtk_button_get_label(a->pin_ok));
	trace_text(a, gtk_button_get_label(a->close_btn));
	trace_text(a, gtk_button_get_label(a->retry_btn));
	a->shown_page = (enum as_page)-1;
	refresh(a);
	gtk_window_present(a->win);
	gtk_widget_grab_focus(GTK_WIDGET(a->list));
	a->worker = g_thread_new("ukey-worker", worker_main, a);
}

int as_app_main(const struct renew_options *base, const struct rn_config *cfg, int argc, char **argv)
{
	struct app *a = &A;
	a->base = *base;
	a->cfg = *cfg;
	a->trace = g_getenv("UKEY_ASSISTANT_TRACE") != NULL;
	g_mutex_init(&a->mu);
	g_cond_init(&a->cond);
	as_model_init(&a->m, cfg->wait_limit_minutes, a->cfg.support_text);
	gtk_disable_setlocale(); /* as_i18n_init did it, with its fallback */
	a->gapp = gtk_application_new("cn.ukey.Assistant", G_APPLICATION_NON_UNIQUE);
	g_signal_connect(a->gapp, "activate", G_CALLBACK(activate), a);
	int st = g_application_run(G_APPLICATION(a->gapp), argc, argv);
	g_mutex_lock(&a->mu);
	a->quit = 1;
	g_cond_broadcast(&a->cond);
	g_mutex_unlock(&a->mu);
	/* librenew cannot cancel a running renewal (a wait may last the wait
	 * limit): leave it, its state is saved; a later Renew resumes it */
	if (a->m.busy) {
		fflush(NULL);
		_exit(st);
	}
	if (a->worker)
		g_thread_join(a->worker);
	g_object_unref(a->gapp);
	return st;
}
