/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "addr.h"
#include "macro.h"

/* Longest text we ever accept: a bracketed IPv6 address with a prefix ("[…]/128") is at most 51
 * characters; anything longer than the buffer is refused before it is copied. */
#define ADDRESS_INPUT_MAX (ADDRESS_STRING_MAX - 1)

static size_t family_bytes(int family) {
        return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

static unsigned family_bits(int family) {
        return family == AF_INET ? 32 : 128;
}

/* Parses exactly one address (no prefix) from a NUL-terminated buffer of at most ADDRESS_INPUT_MAX
 * characters. Sets *ret_mapped when the text was an IPv4-mapped IPv6 address (then *ret is IPv4). */
static int parse_one(const char *buf, Address *ret, bool *ret_mapped) {
        char tmp[ADDRESS_STRING_MAX];
        size_t len = strlen(buf);
        Address a = {};

        /* "[v6]": strip the brackets, and only allow IPv6 inside them. */
        if (len > 0 && buf[0] == '[') {
                if (len < 3 || buf[len - 1] != ']')
                        return -EINVAL;
                memcpy(tmp, buf + 1, len - 2);
                tmp[len - 2] = 0;
                if (!strchr(tmp, ':'))
                        return -EINVAL;
                buf = tmp;
        }

        /* inet_pton() is strict already (no whitespace, no leading zeros in IPv4, no zone index, no
         * short forms like "10.1"), so no extra character checks are needed here. */
        if (inet_pton(AF_INET, buf, &a.in) == 1) {
                a.family = AF_INET;
                *ret = a;
                *ret_mapped = false;
                return 0;
        }

        if (inet_pton(AF_INET6, buf, &a.in6) != 1)
                return -EINVAL;

        if (IN6_IS_ADDR_V4MAPPED(&a.in6)) {
                Address v4 = { .family = AF_INET };

                memcpy(v4.bytes, a.bytes + 12, 4);
                *ret = v4;
                *ret_mapped = true;
                return 0;
        }

        a.family = AF_INET6;
        *ret = a;
        *ret_mapped = false;
        return 0;
}

int address_parse_n(const char *s, size_t n, Address *ret) {
        char buf[ADDRESS_STRING_MAX];
        Address a;
        bool mapped;
        int r;

        assert(s || n == 0);
        assert(ret);

        if (n == 0 || n > ADDRESS_INPUT_MAX)
                return -EINVAL;
        if (memchr(s, 0, n))
                return -EINVAL;

        memcpy(buf, s, n);
        buf[n] = 0;

        r = parse_one(buf, &a, &mapped);
        if (r < 0)
                return r;

        *ret = a;
        return 0;
}

int address_parse(const char *s, Address *ret) {
        assert(s);

        /* strnlen(): never walk further than one byte past what we could accept. */
        return address_parse_n(s, strnlen(s, ADDRESS_INPUT_MAX + 1), ret);
}

static int parse_prefixlen(const char *s, unsigned *ret) {
        unsigned v = 0;

        /* Decimal, 1 to 3 digits, no sign, no leading zero ("/08" is a typo, not 8). */
        if (!*s || strlen(s) > 3)
                return -EINVAL;
        if (s[0] == '0' && s[1])
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (*p - '0');
        }

        *ret = v;
        return 0;
}

int address_prefix_parse(const char *s, AddressPrefix *ret) {
        char buf[ADDRESS_STRING_MAX];
        AddressPrefix p = {};
        size_t n;
        char *slash;
        bool mapped;
        int r;

        assert(s);
        assert(ret);

        n = strnlen(s, ADDRESS_INPUT_MAX + 1);
        if (n == 0 || n > ADDRESS_INPUT_MAX)
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = 0;

        slash = strchr(buf, '/');
        if (slash)
                *slash = 0;

        r = parse_one(buf, &p.address, &mapped);
        if (r < 0)
                return r;

        if (!slash) {
                p.prefixlen = family_bits(p.address.family);
                *ret = p;
                return 0;
        }

        r = parse_prefixlen(slash + 1, &p.prefixlen);
        if (r < 0)
                return r;

        if (mapped) {
                /* ::ffff:0:0/96 is the IPv4-mapped space; a shorter prefix would cover real IPv6
                 * addresses too, which IPv4 cannot express. */
                if (p.prefixlen < 96 || p.prefixlen > 128)
                        return -EINVAL;
                p.prefixlen -= 96;
        } else if (p.prefixlen > family_bits(p.address.family))
                return -EINVAL;

        address_mask(&p.address, p.prefixlen);
        *ret = p;
        return 0;
}

const char *address_to_string(const Address *a, char buf[static ADDRESS_STRING_MAX]) {
        assert(a);
        assert(buf);

        if ((a->family != AF_INET && a->family != AF_INET6) ||
            !inet_ntop(a->family, a->bytes, buf, ADDRESS_STRING_MAX))
                snprintf(buf, ADDRESS_STRING_MAX, "(invalid)");
        return buf;
}

const char *address_prefix_to_string(const AddressPrefix *p, char buf[static ADDRESS_STRING_MAX]) {
        size_t l;

        assert(p);
        assert(buf);

        address_to_string(&p->address, buf);
        if (p->prefixlen >= family_bits(p->address.family))
                return buf;

        l = strlen(buf);
        snprintf(buf + l, ADDRESS_STRING_MAX - l, "/%u", p->prefixlen);
        return buf;
}

bool address_equal(const Address *a, const Address *b) {
        assert(a);
        assert(b);

        return a->family == b->family && memcmp(a->bytes, b->bytes, family_bytes(a->family)) == 0;
}

void address_mask(Address *a, unsigned prefixlen) {
        size_t nbytes;

        assert(a);

        nbytes = family_bytes(a->family);
        if (prefixlen >= nbytes * 8)
                return;

        /* The partial byte first, then every whole byte after it. */
        a->bytes[prefixlen / 8] &= (uint8_t) (0xffu << (8 - prefixlen % 8));
        for (size_t i = prefixlen / 8 + (prefixlen % 8 != 0); i < nbytes; i++)
                a->bytes[i] = 0;
}

bool address_prefix_contains(const AddressPrefix *p, const Address *a) {
        Address masked;

        assert(p);
        assert(a);

        if (p->address.family != a->family)
                return false;

        masked = *a;
        address_mask(&masked, p->prefixlen);
        return address_equal(&masked, &p->address);
}

bool address_is_special(const Address *a) {
        assert(a);

        if (a->family == AF_INET) {
                const uint8_t *b = a->bytes;

                return b[0] == 0 ||                     /* 0.0.0.0/8: "this network", unspecified */
                       b[0] == 127 ||                   /* loopback */
                       (b[0] == 169 && b[1] == 254) ||  /* link-local */
                       (b[0] & 0xf0) == 224 ||          /* multicast 224/4 */
                       (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255); /* broadcast */
        }

        return IN6_IS_ADDR_UNSPECIFIED(&a->in6) ||
               IN6_IS_ADDR_LOOPBACK(&a->in6) ||
               IN6_IS_ADDR_LINKLOCAL(&a->in6) ||
               IN6_IS_ADDR_MULTICAST(&a->in6);
}

/* Hash: the address bytes are chosen by whoever sends us packets, so the table must not degrade to a
 * list under a crafted spray. We mix every 64-bit word with a per-process random seed through a
 * multiply/xor-shift finaliser (murmur3's fmix64). That is cheap and good against blind floods; a
 * keyed PRF such as SipHash would also resist an attacker who can observe timing, and is the upgrade
 * path if that ever matters. */
static uint64_t hash_seed(void) {
        static uint64_t seed = 0;
        static bool initialised = false;

        if (!initialised) {
                uint64_t s;

                if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t) sizeof(s))
                        s = 0x9e3779b97f4a7c15ULL ^ (uint64_t) (uintptr_t) &seed;
                seed = s;
                initialised = true;
        }
        return seed;
}

static uint64_t mix64(uint64_t h) {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        return h;
}

unsigned address_hash(const void *p) {
        const Address *a = p;
        uint64_t h, w;

        assert(a);

        h = hash_seed() ^ (uint64_t) a->family;
        if (a->family == AF_INET) {
                uint32_t v;

                memcpy(&v, a->bytes, sizeof(v));
                h = mix64(h ^ v);
        } else {
                memcpy(&w, a->bytes, sizeof(w));
                h = mix64(h ^ w);
                memcpy(&w, a->bytes + 8, sizeof(w));
                h = mix64(h ^ w);
        }

        return (unsigned) (h ^ (h >> 32));
}

int address_equal_func(const void *a, const void *b) {
        return address_equal(a, b);
}

void address_list_done(AddressList *l) {
        assert(l);

        free(l->items);
        l->items = NULL;
        l->n = 0;
}

int address_list_add(AddressList *l, const AddressPrefix *p) {
        AddressPrefix *items;
        size_t cap;

        assert(l);
        assert(p);

        /* The capacity is not stored (the struct is public): it is 4, then doubles, so the array is
         * full exactly when n is 4 or a larger power of two. */
        if (l->n == 0 || (l->n >= 4 && (l->n & (l->n - 1)) == 0)) {
                cap = l->n == 0 ? 4 : l->n * 2;
                items = reallocarray(l->items, cap, sizeof(AddressPrefix));
                if (!items)
                        return -ENOMEM;
                l->items = items;
        }

        l->items[l->n++] = *p;
        return 0;
}

int address_list_add_local(AddressList *l) {
        static const char *const fixed[] = { "127.0.0.0/8", "::1" };
        struct ifaddrs *ifa = NULL;
        int added = 0, r;

        assert(l);

        for (size_t i = 0; i < ELEMENTSOF(fixed); i++) {
                AddressPrefix p;

                r = address_prefix_parse(fixed[i], &p);
                assert(r >= 0);
                r = address_list_add(l, &p);
                if (r < 0)
                        return r;

                added++;
        }

        if (getifaddrs(&ifa) < 0)
                return -errno;

        for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
                AddressPrefix p = {};

                if (!i->ifa_addr)
                        continue;

                if (i->ifa_addr->sa_family == AF_INET) {
                        const struct sockaddr_in *sin = (const struct sockaddr_in *) i->ifa_addr;

                        p.address.family = AF_INET;
                        p.address.in = sin->sin_addr;
                } else if (i->ifa_addr->sa_family == AF_INET6) {
                        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) i->ifa_addr;

                        p.address.family = AF_INET6;
                        p.address.in6 = sin6->sin6_addr;
                        if (IN6_IS_ADDR_V4MAPPED(&p.address.in6)) {
                                Address v4 = { .family = AF_INET };

                                memcpy(v4.bytes, p.address.bytes + 12, 4);
                                p.address = v4;
                        }
                } else
                        continue;

                p.prefixlen = family_bits(p.address.family);
                r = address_list_add(l, &p);
                if (r < 0) {
                        freeifaddrs(ifa);
                        return r;
                }

                added++;
        }

        freeifaddrs(ifa);
        return added;
}

bool address_list_contains(const AddressList *l, const Address *a) {
        assert(l);
        assert(a);

        /* Linear: ignore lists are a handful of entries. A prefix trie would be the option if lists of
         * thousands ever show up. */
        for (size_t i = 0; i < l->n; i++)
                if (address_prefix_contains(&l->items[i], a))
                        return true;

        return false;
}
