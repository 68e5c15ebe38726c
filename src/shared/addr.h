/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IP address, normalised: IPv4-mapped IPv6 (::ffff:a.b.c.d) is stored as IPv4, so that one host has
 * exactly one representation. Plain value type: compare with address_equal(), never memcmp of the
 * whole struct (padding). */
typedef struct Address {
        int family; /* AF_INET or AF_INET6 */
        union {
                struct in_addr in;
                struct in6_addr in6;
                uint8_t bytes[16];
        };
} Address;

/* An address with a prefix length (CIDR). A plain address parses as /32 or /128. */
typedef struct AddressPrefix {
        Address address; /* masked to prefixlen */
        unsigned prefixlen;
} AddressPrefix;

/* INET6_ADDRSTRLEN plus room for "/128". */
#define ADDRESS_STRING_MAX 64

/* Parses "1.2.3.4", "2001:db8::1", "[2001:db8::1]", "::ffff:1.2.3.4" (→ IPv4). No leading/trailing
 * space, no zone index, no hostnames. Returns 0 or -EINVAL. */
int address_parse(const char *s, Address *ret);
/* The same for a string that is not NUL-terminated (for example a regex capture). */
int address_parse_n(const char *s, size_t n, Address *ret);

/* Parses "10.0.0.0/8", "fd00::/64", "::ffff:10.0.0.0/104" (→ 10.0.0.0/8), or a plain address.
 * Host bits set below the prefix are masked off (like nft does). Returns 0 or -EINVAL. */
int address_prefix_parse(const char *s, AddressPrefix *ret);

/* Canonical text (inet_ntop form: lower-case, shortest IPv6). Returns buf. */
const char *address_to_string(const Address *a, char buf[static ADDRESS_STRING_MAX]);
/* "10.0.0.0/8"; a host prefix (/32, /128) prints as the bare address. Returns buf. */
const char *address_prefix_to_string(const AddressPrefix *p, char buf[static ADDRESS_STRING_MAX]);

bool address_equal(const Address *a, const Address *b);
/* Zeroes all bits after prefixlen. */
void address_mask(Address *a, unsigned prefixlen);
bool address_prefix_contains(const AddressPrefix *p, const Address *a);
/* Loopback (127/8, ::1), unspecified, link-local and the like: never a sensible ban target. */
bool address_is_special(const Address *a);

/* GHashTable helpers (key is a const Address *). */
unsigned address_hash(const void *a);
int address_equal_func(const void *a, const void *b); /* gboolean */

/* A growable list of prefixes, for ignoreip / ignoreself. */
typedef struct AddressList {
        AddressPrefix *items;
        size_t n;
} AddressList;

void address_list_done(AddressList *l);
int address_list_add(AddressList *l, const AddressPrefix *p);
/* Adds every address configured on this host's interfaces (getifaddrs), as host prefixes, plus
 * 127.0.0.0/8 and ::1. Returns the number added or a negative errno. */
int address_list_add_local(AddressList *l);
bool address_list_contains(const AddressList *l, const Address *a);
