/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rn_flow_util.c — the new key pair's id, days, ASN.1 time for the flow. */
#include <openssl/asn1.h>

#include "rn_flow.h"

const unsigned char *rn_job_new_id(const struct rn_job *j, size_t *len)
{
	*len = j->st.rekey ? j->st.new_key_id_len : j->st.cert_id_len;
	return j->st.rekey ? j->st.new_key_id : j->st.cert_id;
}

long rn_days_left(time_t not_after, time_t now)
{
	double d = difftime(not_after, now);
	long days = (long)(d / 86400.0);
	if (d < 0 && (double)days * 86400.0 != d)
		days -= 1; /* floor */
	return days;
}

time_t rn_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}
