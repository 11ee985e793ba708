/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukey-renew — renew the certificate on a USB key (see renew/README.md). */
int cli_main(int argc, char **argv);

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
