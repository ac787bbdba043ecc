#ifndef IDSYNC_CLDAP_SHIM_H
#define IDSYNC_CLDAP_SHIM_H
#include <ldap.h>
#include <lber.h>

/* Swift cannot import macros whose value is an expression, so the few it needs are restated as constants. */
static const int IDSYNC_LDAP_TLS_PROTOCOL_TLS1_2 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;

#endif
