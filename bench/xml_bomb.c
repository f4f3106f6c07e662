/*
 * xml_bomb.c - the XML entity amplification attack on the Peoplevox client,
 * measured (issue: "a 130 KB SOAP response with an internal DTD entity
 * referenced 20,000 times drove the live service to 1.97 GB").
 *
 *   build/xml_bomb guarded     parse the answer as shopvox does now
 *                              (pvx_soap_parse_response: DTDs refused)
 *   build/xml_bomb unguarded   parse it as shopvox did before: libxml2 with
 *                              NONET only, then xmlNodeGetContent on Detail
 *
 * Prints the answer's size, the outcome, the wall time and the process's
 * peak RSS (getrusage). Run each mode in its own process: peak RSS only
 * grows. The unguarded mode needs about 2 GB of memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "buf.h"
#include "common.h"
#include "pvx_soap.h"

#define BOMB_ENTITY_BYTES (64 * 1024)
#define BOMB_REFERENCES 20000

/* A GetData answer whose Detail references one 64 KiB entity 20,000 times. */
static void bomb_build(struct buf *b)
{
    buf_append_str(b, "<?xml version=\"1.0\"?><!DOCTYPE soap:Envelope [<!ENTITY a \"");
    for (int i = 0; i < BOMB_ENTITY_BYTES; i++)
        buf_append(b, "a", 1);
    buf_append_str(b, "\">]><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/"
                      "envelope/\"><soap:Body><GetDataResponse xmlns=\"http://www.peoplevox.net/"
                      "\"><GetDataResult><ResponseId>0</ResponseId><TotalCount>1</TotalCount>"
                      "<Detail>");
    for (int i = 0; i < BOMB_REFERENCES; i++)
        buf_append_str(b, "&a;");
    buf_append_str(b, "</Detail></GetDataResult></GetDataResponse></soap:Body></soap:Envelope>");
}

/* The pre-fix path: parse, then read Detail's content (entities expanded here). */
static size_t parse_unguarded(const struct buf *b)
{
    xmlDoc *doc = xmlReadMemory(b->data, (int)b->len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNode *n = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    size_t got = 0;

    while (n != NULL && (n->name == NULL || strcmp((const char *)n->name, "Detail") != 0)) {
        xmlNode *next = n->children;

        while (next != NULL && next->type != XML_ELEMENT_NODE)
            next = next->next;
        if (next == NULL) {
            next = n->next;
            while (next != NULL && next->type != XML_ELEMENT_NODE)
                next = next->next;
        }
        n = next;
    }
    if (n != NULL) {
        xmlChar *content = xmlNodeGetContent(n);

        got = content != NULL ? strlen((const char *)content) : 0;
        xmlFree(content);
    }
    xmlFreeDoc(doc);
    return got;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "guarded";
    struct buf b;
    struct rusage ru;
    int64_t t0;
    char outcome[ERRBUF_MAX + 64];

    xmlInitParser();
    buf_init(&b, 0);
    bomb_build(&b);
    t0 = now_ms_monotonic();
    if (strcmp(mode, "unguarded") == 0) {
        snprintf(outcome, sizeof(outcome), "Detail expanded to %zu bytes", parse_unguarded(&b));
    } else if (strcmp(mode, "guarded") == 0) {
        struct pvx_response r;
        struct errbuf err = {""};
        enum st st = pvx_soap_parse_response(b.data, b.len, PVX_OP_GET_DATA, &r, &err);

        snprintf(outcome, sizeof(outcome), "%s: %s", st_name(st), err.msg);
        pvx_response_cleanup(&r);
    } else {
        fprintf(stderr, "usage: xml_bomb guarded|unguarded\n");
        return 2;
    }
    getrusage(RUSAGE_SELF, &ru);
    printf("mode=%s answer_bytes=%zu outcome=\"%s\" ms=%lld peak_rss_mib=%.1f\n", mode, b.len,
           outcome, (long long)(now_ms_monotonic() - t0), (double)ru.ru_maxrss / 1024.0);
    buf_cleanup(&b);
    return 0;
}
