"""Small feeds of each format the importer reads: RSS 2.0, Atom, JSON Feed, RDF (RSS 1.0),
Atom under a namespace prefix."""

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>One</title><link>http://x/1</link><guid>g1</guid></item>
<item><title>Two</title><link>http://x/2</link></item></channel></rss>"""
ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><id>urn:a1</id><title>A</title><link rel="alternate" href="http://a/1"/></entry></feed>"""
JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "t",
"items": [{"id": "j1", "title": "J", "url": "http://j/1"}]}"""
RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://r/"><title>t</title><link>http://r/</link><description>d</description>
</channel>
<item rdf:about="http://r/1"><title>Older</title><link>http://r/1</link>
<dc:date>2026-11-19T10:00:00+01:00</dc:date></item>
<item rdf:about="http://r/2"><title>Newer &amp; better</title><link>http://r/2</link>
<dc:date>2026-11-20T10:00:00+01:00</dc:date></item>
</rdf:RDF>"""
PREFIXED_ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<a:feed xmlns:a="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
<a:title>t</a:title>
<a:entry><a:id>tag:x,2026:1</a:id><a:title type="html">&lt;b&gt;Bold&lt;/b&gt; news</a:title>
<a:link rel="enclosure" href="http://a/file.mp3"/><a:link href="http://a/page"/>
<a:updated>2026-11-20T08:00:00Z</a:updated><media:thumbnail url="http://a/t.jpg"/></a:entry>
</a:feed>"""

# The tests' feed servers listen on plain HTTP on loopback, which a bot refuses by default.
LOOPBACK = {"feed_allow_http": True, "feed_allow_private": "127.0.0.1"}
