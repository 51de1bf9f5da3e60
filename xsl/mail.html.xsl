<?xml version="1.0" encoding="UTF-8"?>
<!--
  unanswered - default HTML mail.

  Input: the <notification> document described in xsl/README.md.
  Output: one HTML page built for mail programs: tables for layout, inline
  styles, widths also as attributes, no images, no scripts, no web fonts.
  Every value from the document goes through normal output escaping; nothing
  here uses disable-output-escaping.

  The file is self-contained on purpose (the built-in copy is compiled
  without an include directory), so the helpers at the end are repeated in
  mail.txt.xsl and subject.xsl.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:output method="html" encoding="UTF-8" indent="no"
              doctype-system="about:legacy-compat"/>

  <xsl:strip-space elements="*"/>

  <!-- the strings of the recipient's language, by key -->
  <xsl:key name="string" match="/notification/strings/string" use="@key"/>

  <xsl:variable name="n" select="/notification"/>
  <xsl:variable name="calls" select="$n/calls/call"/>
  <xsl:variable name="count" select="count($calls)"/>
  <xsl:variable name="prefix" select="normalize-space($n/link-prefix)"/>

  <xsl:variable name="lang">
    <xsl:choose>
      <xsl:when test="normalize-space($n/strings/@language) != ''">
        <xsl:value-of select="normalize-space($n/strings/@language)"/>
      </xsl:when>
      <xsl:when test="normalize-space($n/recipient/@language) != ''">
        <xsl:value-of select="normalize-space($n/recipient/@language)"/>
      </xsl:when>
      <xsl:otherwise>en</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <xsl:variable name="dir">
    <xsl:choose>
      <xsl:when test="normalize-space(key('string', 'text-direction')) = 'rtl'">rtl</xsl:when>
      <xsl:otherwise>ltr</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <!-- the side where lines start, for align attributes and text-align -->
  <xsl:variable name="start">
    <xsl:choose>
      <xsl:when test="$dir = 'rtl'">right</xsl:when>
      <xsl:otherwise>left</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="end">
    <xsl:choose>
      <xsl:when test="$dir = 'rtl'">left</xsl:when>
      <xsl:otherwise>right</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <!-- look -->
  <xsl:variable name="font">-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Helvetica,Arial,sans-serif</xsl:variable>
  <xsl:variable name="page-bg">#f2f4f7</xsl:variable>
  <xsl:variable name="card-bg">#ffffff</xsl:variable>
  <xsl:variable name="border">#d0d5dd</xsl:variable>
  <xsl:variable name="rule">#eaecf0</xsl:variable>
  <xsl:variable name="ink">#101828</xsl:variable>
  <xsl:variable name="muted">#475467</xsl:variable>
  <xsl:variable name="accent">#175cd3</xsl:variable>
  <xsl:variable name="ok-bg">#ecfdf3</xsl:variable>
  <xsl:variable name="ok-ink">#05603a</xsl:variable>
  <xsl:variable name="note-bg">#f2f4f7</xsl:variable>
  <xsl:variable name="note-ink">#344054</xsl:variable>

  <xsl:variable name="headline">
    <xsl:call-template name="headline"/>
  </xsl:variable>

  <!-- the callers of a digest, one row each: calls grouped by the caller's key -->
  <xsl:key name="by-caller" match="/notification/calls/call" use="caller/@key"/>

  <!-- ================================================================== -->
  <!-- page                                                               -->
  <!-- ================================================================== -->

  <xsl:template match="/">
    <html lang="{$lang}" dir="{$dir}">
      <head>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="x-apple-disable-message-reformatting" content=""/>
        <meta name="color-scheme" content="light dark"/>
        <meta name="supported-color-schemes" content="light dark"/>
        <xsl:if test="$prefix = ''">
          <!-- numbers are meant to be plain text: ask phones not to link them -->
          <meta name="format-detection" content="telephone=no"/>
        </xsl:if>
        <title><xsl:value-of select="$headline"/></title>
        <style type="text/css">
          body { margin: 0; padding: 0; }
          a[x-apple-data-detectors] { color: inherit !important; text-decoration: none !important; }
          @media only screen and (max-width: 620px) {
            .ua-gutter { padding-left: 12px !important; padding-right: 12px !important; }
            .ua-card { padding: 18px 16px !important; }
            .ua-label, .ua-value { display: block !important; width: auto !important; }
            .ua-label { padding-bottom: 0 !important; }
            .ua-value { padding-top: 2px !important; border-top: 0 !important; }
            .ua-button { width: 100% !important; }
            .ua-button a { display: block !important; text-align: center !important; }
            .ua-headline { font-size: 22px !important; line-height: 28px !important; }
            .ua-row { padding: 12px !important; }
          }
          /* a palette of its own in dark mode (mail programs that honour it: Apple Mail,
             Outlook for Mac and iOS, Thunderbird); the others keep the light one */
          :root { color-scheme: light dark; supported-color-schemes: light dark; }
          @media (prefers-color-scheme: dark) {
            .ua-page { background-color: #0c111d !important; }
            .ua-card, .ua-list { background-color: #161b26 !important; border-color: #333741 !important; }
            .ua-rule { border-color: #1f242f !important; }
            .ua-ink { color: #f5f5f6 !important; }
            .ua-muted { color: #94969c !important; }
            .ua-link { color: #84caff !important; }
            .ua-btn { background-color: #1570ef !important; color: #ffffff !important; }
            .ua-ok { background-color: #053321 !important; color: #75e0a7 !important; }
            .ua-okt { color: #75e0a7 !important; }
            .ua-note { background-color: #1f242f !important; color: #cecfd2 !important; border-color: #333741 !important; }
          }
        </style>
        <!-- Outlook for Windows: use a font it has instead of falling back to a serif one -->
        <xsl:comment>[if mso]&gt;&lt;style type="text/css"&gt;body, table, td, div, p, a, span, h1 { font-family: 'Segoe UI', Arial, sans-serif !important; }&lt;/style&gt;&lt;![endif]</xsl:comment>
      </head>
      <body class="ua-page" bgcolor="{$page-bg}" style="margin:0;padding:0;background-color:{$page-bg};-webkit-text-size-adjust:100%;-ms-text-size-adjust:100%;">
        <xsl:call-template name="preheader"/>
        <table role="presentation" class="ua-page" width="100%" cellpadding="0" cellspacing="0" border="0"
               bgcolor="{$page-bg}" style="width:100%;background-color:{$page-bg};border-collapse:collapse;">
          <tr>
            <td align="center" class="ua-gutter" style="padding:24px 16px 32px 16px;">
              <!-- fluid: as wide as the screen up to 600 px; Outlook for Windows, which knows no
                   max-width on a div, gets a fixed 600 px table around it -->
              <xsl:comment>[if mso]&gt;&lt;table role="presentation" width="600" align="center" cellpadding="0" cellspacing="0" border="0"&gt;&lt;tr&gt;&lt;td&gt;&lt;![endif]</xsl:comment>
              <div class="ua-container" style="max-width:600px;margin:0 auto;">
              <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"
                     style="width:100%;border-collapse:separate;">
                <xsl:call-template name="header"/>
                <xsl:choose>
                  <!-- one call: a card with every detail; a digest: one short row per caller -->
                  <xsl:when test="$count = 1">
                    <xsl:for-each select="$calls">
                      <xsl:call-template name="card"/>
                    </xsl:for-each>
                  </xsl:when>
                  <xsl:otherwise>
                    <xsl:call-template name="digest"/>
                  </xsl:otherwise>
                </xsl:choose>
                <xsl:call-template name="footer"/>
              </table>
              </div>
              <xsl:comment>[if mso]&gt;&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;![endif]</xsl:comment>
            </td>
          </tr>
        </table>
      </body>
    </html>
  </xsl:template>

  <!-- hidden preview text: what mail programs show next to the subject -->
  <xsl:template name="preheader">
    <div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;color:{$page-bg};">
      <xsl:choose>
        <xsl:when test="$count = 1">
          <xsl:for-each select="$calls[1]">
            <xsl:call-template name="text">
              <xsl:with-param name="key" select="'preheader-one'"/>
              <xsl:with-param name="caller">
                <xsl:call-template name="caller-label">
                  <xsl:with-param name="style" select="'full'"/>
                  <xsl:with-param name="max" select="60"/>
                </xsl:call-template>
              </xsl:with-param>
              <xsl:with-param name="when">
                <xsl:call-template name="when"/>
              </xsl:with-param>
            </xsl:call-template>
          </xsl:for-each>
        </xsl:when>
        <xsl:otherwise>
          <xsl:call-template name="text">
            <xsl:with-param name="key" select="'preheader-many'"/>
            <xsl:with-param name="count" select="$count"/>
            <xsl:with-param name="callers">
              <xsl:call-template name="caller-list">
                <xsl:with-param name="max" select="40"/>
              </xsl:call-template>
            </xsl:with-param>
          </xsl:call-template>
        </xsl:otherwise>
      </xsl:choose>
      <!-- keeps mail programs from filling the preview with the body text -->
      <xsl:text>&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;&#160;&#8204;</xsl:text>
    </div>
  </xsl:template>

  <xsl:template name="header">
    <tr>
      <td align="{$start}" style="padding:4px 4px 20px 4px;font-family:{$font};text-align:{$start};">
        <div class="ua-muted" style="font-size:13px;line-height:18px;font-weight:600;letter-spacing:0.06em;text-transform:uppercase;color:{$muted};">
          <xsl:call-template name="text">
            <xsl:with-param name="key" select="'brand'"/>
          </xsl:call-template>
        </div>
        <h1 class="ua-ink ua-headline" style="margin:6px 0 0 0;padding:0;font-family:{$font};font-size:26px;line-height:32px;font-weight:700;color:{$ink};">
          <xsl:value-of select="$headline"/>
        </h1>
      </td>
    </tr>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- a digest: one row per caller (calls of one caller grouped)          -->
  <!-- ================================================================== -->

  <xsl:template name="digest">
    <tr>
      <td style="padding:0 0 16px 0;">
        <table role="presentation" class="ua-list" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="{$card-bg}"
               style="width:100%;border-collapse:separate;background-color:{$card-bg};border:1px solid {$border};border-radius:10px;">
          <xsl:for-each select="$calls[generate-id() = generate-id(key('by-caller', caller/@key)[1])]">
            <xsl:call-template name="digest-row">
              <xsl:with-param name="group" select="key('by-caller', caller/@key)"/>
              <xsl:with-param name="first" select="position() = 1"/>
            </xsl:call-template>
          </xsl:for-each>
        </table>
      </td>
    </tr>
  </xsl:template>

  <!-- one caller's row (context: the caller's first call; group: all their calls) -->
  <xsl:template name="digest-row">
    <xsl:param name="group"/>
    <xsl:param name="first" select="false()"/>
    <xsl:variable name="c" select="caller"/>
    <xsl:variable name="hidden" select="$c/@hidden = 'true'"/>
    <xsl:variable name="has-name" select="normalize-space($c/name) != ''"/>
    <xsl:variable name="has-company" select="normalize-space($c/company) != ''"/>
    <xsl:variable name="has-number" select="not($hidden) and normalize-space($c/number/@display) != ''"/>
    <xsl:variable name="many" select="count($group) &gt; 1"/>
    <xsl:variable name="sep">
      <xsl:call-template name="text">
        <xsl:with-param name="key" select="'row-separator'"/>
      </xsl:call-template>
    </xsl:variable>
    <tr>
      <td class="ua-row ua-rule" style="padding:12px 16px;font-family:{$font};{substring(concat('border-top:1px solid ', $rule, ';'), 1, 1000 * not($first))}">
        <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;border-collapse:collapse;">
          <tr>
            <td valign="top" align="{$start}" style="text-align:{$start};word-wrap:break-word;word-break:break-word;">
              <div class="ua-ink" style="font-size:16px;line-height:22px;font-weight:700;color:{$ink};">
                <xsl:choose>
                  <xsl:when test="$has-number and not($has-name) and not($has-company)">
                    <span dir="ltr"><xsl:value-of select="normalize-space($c/number/@display)"/></span>
                  </xsl:when>
                  <xsl:otherwise>
                    <xsl:call-template name="caller-label"/>
                  </xsl:otherwise>
                </xsl:choose>
              </div>
              <div class="ua-muted" style="font-size:14px;line-height:20px;color:{$muted};">
                <xsl:choose>
                  <xsl:when test="$has-name and $has-company">
                    <xsl:value-of select="normalize-space($c/company)"/>
                    <br/>
                  </xsl:when>
                  <xsl:when test="$has-number and not($has-name) and not($has-company)">
                    <xsl:call-template name="text">
                      <xsl:with-param name="key" select="'not-in-directory'"/>
                    </xsl:call-template>
                    <br/>
                  </xsl:when>
                </xsl:choose>
                <xsl:choose>
                  <xsl:when test="$many">
                    <xsl:call-template name="text">
                      <xsl:with-param name="key" select="'group-calls'"/>
                      <xsl:with-param name="count" select="count($group)"/>
                    </xsl:call-template>
                    <xsl:value-of select="$sep"/>
                    <span style="white-space:nowrap;">
                      <xsl:call-template name="short-when"/>
                      <xsl:call-template name="text">
                        <xsl:with-param name="key" select="'range-separator'"/>
                      </xsl:call-template>
                      <xsl:for-each select="$group[last()]">
                        <xsl:call-template name="short-when"/>
                      </xsl:for-each>
                    </span>
                  </xsl:when>
                  <xsl:otherwise>
                    <span style="white-space:nowrap;"><xsl:call-template name="short-when"/></span>
                    <xsl:value-of select="$sep"/>
                    <span style="white-space:nowrap;"><xsl:call-template name="ring-text"/></span>
                  </xsl:otherwise>
                </xsl:choose>
                <xsl:if test="lines/line[@recipient = 'true']">
                  <xsl:value-of select="$sep"/>
                  <!-- each line unbroken, the list free to wrap between them -->
                  <xsl:for-each select="lines/line[@recipient = 'true' and normalize-space(@number) != '']">
                    <xsl:if test="position() &gt; 1">
                      <xsl:call-template name="text">
                        <xsl:with-param name="key" select="'list-separator'"/>
                      </xsl:call-template>
                    </xsl:if>
                    <span style="white-space:nowrap;">
                      <xsl:call-template name="text">
                        <xsl:with-param name="key" select="'line'"/>
                        <xsl:with-param name="number" select="normalize-space(@number)"/>
                      </xsl:call-template>
                    </span>
                  </xsl:for-each>
                </xsl:if>
                <xsl:if test="not($many)">
                  <xsl:call-template name="others-count">
                    <xsl:with-param name="sep" select="$sep"/>
                  </xsl:call-template>
                </xsl:if>
              </div>
              <xsl:choose>
                <xsl:when test="$many">
                  <!-- each call: its time, ring time and what became of it -->
                  <div class="ua-muted" style="font-size:13px;line-height:19px;color:{$muted};">
                    <xsl:for-each select="$group">
                      <xsl:if test="position() &gt; 1"><xsl:value-of select="$sep"/></xsl:if>
                      <span style="white-space:nowrap;">
                        <xsl:call-template name="short-when"/>
                        <xsl:text> (</xsl:text>
                        <xsl:call-template name="ring-text"/>
                        <xsl:text>)</xsl:text>
                      </span>
                      <xsl:if test="@answered = 'true' or @voicemail = 'true'">
                        <xsl:text> </xsl:text>
                        <span class="ua-okt" style="color:{$ok-ink};font-weight:600;">
                          <xsl:call-template name="status-text"/>
                        </span>
                      </xsl:if>
                    </xsl:for-each>
                  </div>
                </xsl:when>
                <xsl:when test="@answered = 'true' or @voicemail = 'true'">
                  <div class="ua-okt" style="font-size:14px;line-height:20px;font-weight:600;color:{$ok-ink};">
                    <xsl:call-template name="status-text"/>
                  </div>
                </xsl:when>
              </xsl:choose>
            </td>
            <xsl:if test="$has-number and $prefix != '' and starts-with($c/number/@href, $prefix) and string-length($c/number/@href) &gt; string-length($prefix)">
              <td valign="middle" align="{$end}" width="1" style="padding-{$start}:12px;white-space:nowrap;">
                <a class="ua-btn" href="{$c/number/@href}" style="display:inline-block;padding:10px 14px;border-radius:8px;background-color:{$accent};font-family:{$font};font-size:15px;line-height:20px;font-weight:600;color:#ffffff;text-decoration:none;white-space:nowrap;">
                  <xsl:call-template name="text">
                    <xsl:with-param name="key" select="'call-back-short'"/>
                  </xsl:call-template>
                </a>
              </td>
            </xsl:if>
          </tr>
        </table>
      </td>
    </tr>
  </xsl:template>

  <!-- the time of a call, without "Today" for today's (context: call) -->
  <xsl:template name="short-when">
    <xsl:choose>
      <xsl:when test="arrival/@relative-day = 'today'">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'time-short'"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="when"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- " · +2 colleagues": how many others the call rang for (context: call) -->
  <xsl:template name="others-count">
    <xsl:param name="sep"/>
    <xsl:variable name="others" select="count(rang/user[not(@recipient = 'true')])"/>
    <xsl:if test="$others &gt; 0">
      <xsl:value-of select="$sep"/>
      <xsl:call-template name="text">
        <xsl:with-param name="key">
          <xsl:choose>
            <xsl:when test="$others = 1">rang-one-other</xsl:when>
            <xsl:otherwise>rang-others</xsl:otherwise>
          </xsl:choose>
        </xsl:with-param>
        <xsl:with-param name="count" select="$others"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- one call (context: call)                                           -->
  <!-- ================================================================== -->

  <xsl:template name="card">
    <xsl:variable name="c" select="caller"/>
    <xsl:variable name="hidden" select="$c/@hidden = 'true'"/>
    <xsl:variable name="has-name" select="normalize-space($c/name) != ''"/>
    <xsl:variable name="has-company" select="normalize-space($c/company) != ''"/>
    <xsl:variable name="has-number" select="not($hidden) and $c/number and normalize-space($c/number/@display) != ''"/>
    <tr>
      <td style="padding:0 0 16px 0;">
        <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"
               style="width:100%;border-collapse:separate;">
          <tr>
            <td class="ua-ink ua-card" align="{$start}" bgcolor="{$card-bg}" style="padding:22px 24px;background-color:{$card-bg};border:1px solid {$border};border-radius:10px;font-family:{$font};text-align:{$start};color:{$ink};">

              <!-- when, and the answered mark -->
              <div class="ua-muted" style="font-size:14px;line-height:22px;color:{$muted};">
                <span style="white-space:nowrap;"><xsl:call-template name="when"/></span>
                <xsl:if test="@answered = 'true'">
                  <xsl:text> &#160;</xsl:text>
                  <span class="ua-ok" style="display:inline-block;padding:1px 8px;border-radius:10px;background-color:{$ok-bg};color:{$ok-ink};font-size:13px;line-height:20px;font-weight:600;">
                    <xsl:call-template name="answered-text"/>
                  </span>
                </xsl:if>
                <xsl:if test="@voicemail = 'true' and not(@answered = 'true')">
                  <xsl:text> &#160;</xsl:text>
                  <span class="ua-ok" style="display:inline-block;padding:1px 8px;border-radius:10px;background-color:{$ok-bg};color:{$ok-ink};font-size:13px;line-height:20px;font-weight:600;">
                    <xsl:call-template name="status-text"/>
                  </span>
                </xsl:if>
              </div>

              <!-- who -->
              <div class="ua-ink" style="margin-top:6px;font-size:20px;line-height:27px;font-weight:700;color:{$ink};word-wrap:break-word;word-break:break-word;">
                <xsl:choose>
                  <xsl:when test="not($hidden) and not($has-name) and not($has-company) and $has-number">
                    <span dir="ltr"><xsl:value-of select="normalize-space($c/number/@display)"/></span>
                  </xsl:when>
                  <xsl:otherwise>
                    <xsl:call-template name="caller-label">
                      <xsl:with-param name="style" select="'title'"/>
                    </xsl:call-template>
                  </xsl:otherwise>
                </xsl:choose>
              </div>
              <xsl:if test="$has-name and $has-company">
                <div class="ua-muted" style="margin-top:2px;font-size:15px;line-height:22px;color:{$muted};word-wrap:break-word;word-break:break-word;">
                  <xsl:value-of select="normalize-space($c/company)"/>
                </div>
              </xsl:if>
              <xsl:if test="not($hidden) and not($has-name) and not($has-company) and $has-number">
                <div class="ua-muted" style="margin-top:2px;font-size:15px;line-height:22px;color:{$muted};">
                  <xsl:call-template name="text">
                    <xsl:with-param name="key" select="'not-in-directory'"/>
                  </xsl:call-template>
                </div>
              </xsl:if>

              <!-- call back -->
              <xsl:choose>
                <xsl:when test="$hidden">
                  <xsl:call-template name="gap">
                    <xsl:with-param name="height" select="14"/>
                  </xsl:call-template>
                  <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;border-collapse:separate;">
                    <tr>
                      <td class="ua-muted ua-note" bgcolor="{$note-bg}" style="padding:10px 12px;border-radius:6px;background-color:{$note-bg};font-family:{$font};font-size:14px;line-height:20px;color:{$note-ink};">
                        <xsl:call-template name="text">
                          <xsl:with-param name="key" select="'hidden-number-note'"/>
                        </xsl:call-template>
                      </td>
                    </tr>
                  </table>
                </xsl:when>
                <xsl:when test="$has-number">
                  <xsl:for-each select="$c/number">
                    <xsl:call-template name="main-number">
                      <xsl:with-param name="short" select="not($has-name) and not($has-company)"/>
                    </xsl:call-template>
                  </xsl:for-each>
                </xsl:when>
              </xsl:choose>

              <!-- details -->
              <xsl:call-template name="gap">
                <xsl:with-param name="height" select="16"/>
              </xsl:call-template>
              <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"
                     style="width:100%;border-collapse:collapse;">
                <xsl:if test="lines/line[@recipient = 'true']">
                  <xsl:call-template name="row">
                    <xsl:with-param name="label">
                      <xsl:call-template name="text">
                        <xsl:with-param name="key" select="'label-line'"/>
                      </xsl:call-template>
                    </xsl:with-param>
                    <xsl:with-param name="value">
                      <xsl:call-template name="line-text"/>
                    </xsl:with-param>
                  </xsl:call-template>
                </xsl:if>
                <xsl:for-each select="$c/other-number[normalize-space(@display) != '']">
                  <xsl:call-template name="row">
                    <xsl:with-param name="label">
                      <xsl:call-template name="phone-kind"/>
                    </xsl:with-param>
                    <xsl:with-param name="value">
                      <xsl:call-template name="number-link">
                        <xsl:with-param name="link" select="not(translate(@kind, 'fax', 'FAX') = 'FAX')"/>
                      </xsl:call-template>
                    </xsl:with-param>
                  </xsl:call-template>
                </xsl:for-each>
                <xsl:if test="normalize-space($c/email) != ''">
                  <xsl:call-template name="row">
                    <xsl:with-param name="label">
                      <xsl:call-template name="text">
                        <xsl:with-param name="key" select="'label-email'"/>
                      </xsl:call-template>
                    </xsl:with-param>
                    <xsl:with-param name="value">
                      <a class="ua-link" href="mailto:{normalize-space($c/email)}" dir="ltr" style="color:{$accent};text-decoration:underline;word-break:break-all;">
                        <xsl:value-of select="normalize-space($c/email)"/>
                      </a>
                    </xsl:with-param>
                  </xsl:call-template>
                </xsl:if>
                <xsl:if test="ring">
                  <xsl:call-template name="row">
                    <xsl:with-param name="label">
                      <xsl:call-template name="text">
                        <xsl:with-param name="key" select="'label-ring-time'"/>
                      </xsl:call-template>
                    </xsl:with-param>
                    <xsl:with-param name="value">
                      <xsl:call-template name="ring-text"/>
                    </xsl:with-param>
                  </xsl:call-template>
                </xsl:if>
                <xsl:if test="rang/user[not(@recipient = 'true')]">
                  <xsl:call-template name="row">
                    <xsl:with-param name="label">
                      <xsl:call-template name="text">
                        <xsl:with-param name="key" select="'label-rang'"/>
                      </xsl:call-template>
                    </xsl:with-param>
                    <xsl:with-param name="value">
                      <xsl:call-template name="others-rung"/>
                    </xsl:with-param>
                  </xsl:call-template>
                </xsl:if>
                <xsl:if test="redirected-from">
                  <xsl:call-template name="row">
                    <xsl:with-param name="label">
                      <xsl:call-template name="text">
                        <xsl:with-param name="key" select="'label-redirected-from'"/>
                      </xsl:call-template>
                    </xsl:with-param>
                    <xsl:with-param name="value">
                      <xsl:call-template name="redirected-text"/>
                    </xsl:with-param>
                  </xsl:call-template>
                </xsl:if>
              </table>

              <xsl:if test="vcard">
                <xsl:call-template name="gap">
                  <xsl:with-param name="height" select="14"/>
                </xsl:call-template>
                <div class="ua-muted" style="font-size:13px;line-height:20px;color:{$note-ink};">
                  <span class="ua-note" style="display:inline-block;padding:2px 10px;border:1px solid {$border};border-radius:10px;background-color:{$note-bg};">
                    <xsl:call-template name="text">
                      <xsl:with-param name="key" select="'vcard-attached'"/>
                    </xsl:call-template>
                  </span>
                </div>
              </xsl:if>
            </td>
          </tr>
        </table>
      </td>
    </tr>
  </xsl:template>

  <!-- the caller's number: a button when numbers are links, else large text (context: number) -->
  <xsl:template name="main-number">
    <!-- short: the number is already the title of the card -->
    <xsl:param name="short" select="false()"/>
    <xsl:variable name="display" select="normalize-space(@display)"/>
    <xsl:choose>
      <xsl:when test="$prefix != '' and starts-with(@href, $prefix) and string-length(@href) &gt; string-length($prefix)">
        <xsl:call-template name="gap">
          <xsl:with-param name="height" select="16"/>
        </xsl:call-template>
        <table role="presentation" class="ua-button" cellpadding="0" cellspacing="0" border="0" style="border-collapse:separate;">
          <tr>
            <td class="ua-btn" align="center" bgcolor="{$accent}" style="border-radius:8px;background-color:{$accent};mso-padding-alt:12px 22px;">
              <a href="{@href}" style="display:inline-block;padding:12px 22px;font-family:{$font};font-size:17px;line-height:22px;font-weight:600;color:#ffffff;text-decoration:none;border-radius:8px;">
                <xsl:choose>
                  <xsl:when test="$short">
                    <xsl:call-template name="text">
                      <xsl:with-param name="key" select="'call-back-short'"/>
                    </xsl:call-template>
                  </xsl:when>
                  <xsl:otherwise>
                    <xsl:call-template name="text">
                      <xsl:with-param name="key" select="'call-back'"/>
                      <xsl:with-param name="number" select="$display"/>
                    </xsl:call-template>
                  </xsl:otherwise>
                </xsl:choose>
              </a>
            </td>
          </tr>
        </table>
      </xsl:when>
      <xsl:when test="$short"/>
      <xsl:otherwise>
        <div class="ua-muted" style="margin-top:12px;font-size:14px;line-height:20px;color:{$muted};">
          <xsl:call-template name="text">
            <xsl:with-param name="key" select="'label-number'"/>
          </xsl:call-template>
        </div>
        <div class="ua-ink" dir="ltr" style="font-size:20px;line-height:28px;font-weight:600;color:{$ink};letter-spacing:0.01em;text-align:{$start};">
          <xsl:value-of select="$display"/>
        </div>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- a further number: link or text (context: other-number) -->
  <xsl:template name="number-link">
    <xsl:param name="link" select="true()"/>
    <xsl:choose>
      <xsl:when test="$link and $prefix != '' and starts-with(@href, $prefix) and string-length(@href) &gt; string-length($prefix)">
        <a class="ua-link" href="{@href}" dir="ltr" style="color:{$accent};text-decoration:underline;font-weight:600;white-space:nowrap;">
          <xsl:value-of select="normalize-space(@display)"/>
        </a>
      </xsl:when>
      <xsl:otherwise>
        <span dir="ltr" style="white-space:nowrap;"><xsl:value-of select="normalize-space(@display)"/></span>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- vertical space that Outlook keeps too (it ignores margins on tables) -->
  <xsl:template name="gap">
    <xsl:param name="height" select="16"/>
    <div style="height:{$height}px;line-height:{$height}px;font-size:1px;mso-line-height-rule:exactly;">&#160;</div>
  </xsl:template>

  <!-- one label/value line of the details table -->
  <xsl:template name="row">
    <xsl:param name="label"/>
    <xsl:param name="value"/>
    <tr>
      <td class="ua-rule ua-muted ua-label" width="150" valign="top" align="{$start}"
          style="width:150px;padding:9px 0;padding-{$end}:12px;border-top:1px solid {$rule};font-family:{$font};font-size:14px;line-height:20px;color:{$muted};text-align:{$start};">
        <xsl:copy-of select="$label"/>
      </td>
      <td class="ua-rule ua-ink ua-value" valign="top" align="{$start}"
          style="padding:9px 0;border-top:1px solid {$rule};font-family:{$font};font-size:15px;line-height:20px;color:{$ink};text-align:{$start};word-wrap:break-word;word-break:break-word;">
        <xsl:copy-of select="$value"/>
      </td>
    </tr>
  </xsl:template>

  <xsl:template name="footer">
    <tr>
      <td class="ua-muted" align="{$start}" style="padding:12px 4px 0 4px;font-family:{$font};font-size:13px;line-height:19px;color:{$muted};text-align:{$start};">
        <xsl:if test="$count &gt; 1 and $calls[vcard]">
          <p style="margin:0 0 8px 0;">
            <xsl:call-template name="vcards-text"/>
          </p>
        </xsl:if>
        <p style="margin:0 0 8px 0;">
          <xsl:call-template name="text">
            <xsl:with-param name="key" select="'footer-reason'"/>
          </xsl:call-template>
          <xsl:if test="$calls[@answered = 'true']">
            <xsl:text> </xsl:text>
            <xsl:call-template name="text">
              <xsl:with-param name="key" select="'footer-answered'"/>
            </xsl:call-template>
          </xsl:if>
        </p>
        <p style="margin:0 0 8px 0;">
          <xsl:call-template name="text">
            <xsl:with-param name="key" select="'footer-automatic'"/>
          </xsl:call-template>
          <xsl:if test="$n/@replies-to = 'caller' or $n/@sender = 'caller'">
            <xsl:text> </xsl:text>
            <xsl:call-template name="text">
              <xsl:with-param name="key" select="'footer-reply-caller'"/>
            </xsl:call-template>
          </xsl:if>
        </p>
        <p style="margin:0;">
          <xsl:call-template name="text">
            <xsl:with-param name="key" select="'footer-stop'"/>
          </xsl:call-template>
        </p>
      </td>
    </tr>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- shared helpers (the same in mail.html.xsl, mail.txt.xsl, subject.xsl) -->
  <!-- ================================================================== -->

  <!-- A string of the language file with its {placeholders} filled in.
       A missing key shows as [key], so the gap is visible. -->
  <xsl:template name="text">
    <xsl:param name="key"/>
    <xsl:param name="count" select="''"/>
    <xsl:param name="caller" select="''"/>
    <xsl:param name="callers" select="''"/>
    <xsl:param name="when" select="''"/>
    <xsl:param name="name" select="''"/>
    <xsl:param name="detail" select="''"/>
    <xsl:param name="number" select="''"/>
    <xsl:param name="seconds" select="''"/>
    <xsl:param name="minutes" select="''"/>
    <xsl:variable name="s" select="key('string', $key)"/>
    <xsl:choose>
      <xsl:when test="$s">
        <xsl:call-template name="fill">
          <xsl:with-param name="rest" select="string($s[1])"/>
          <xsl:with-param name="count" select="$count"/>
          <xsl:with-param name="caller" select="$caller"/>
          <xsl:with-param name="callers" select="$callers"/>
          <xsl:with-param name="when" select="$when"/>
          <xsl:with-param name="name" select="$name"/>
          <xsl:with-param name="detail" select="$detail"/>
          <xsl:with-param name="number" select="$number"/>
          <xsl:with-param name="seconds" select="$seconds"/>
          <xsl:with-param name="minutes" select="$minutes"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="concat('[', $key, ']')"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Copies $rest, replacing each {placeholder}. Values are inserted as
       they are and never scanned again. Placeholders of the arrival
       ({time}, {date}, {date-long}, {weekday}) and of the ring time ({clock})
       come from the context call; {zone} is " EST" (the zone's name) when the
       recipient's zone is not the system's, else empty. -->
  <xsl:template name="fill">
    <xsl:param name="rest"/>
    <xsl:param name="count"/>
    <xsl:param name="caller"/>
    <xsl:param name="callers"/>
    <xsl:param name="when"/>
    <xsl:param name="name"/>
    <xsl:param name="detail"/>
    <xsl:param name="number"/>
    <xsl:param name="seconds"/>
    <xsl:param name="minutes"/>
    <xsl:variable name="inner" select="substring-before(substring-after($rest, '{'), '}')"/>
    <xsl:choose>
      <xsl:when test="contains($rest, '{') and contains(substring-after($rest, '{'), '}')">
        <xsl:value-of select="substring-before($rest, '{')"/>
        <xsl:choose>
          <xsl:when test="$inner = 'count'"><xsl:value-of select="$count"/></xsl:when>
          <xsl:when test="$inner = 'caller'"><xsl:value-of select="$caller"/></xsl:when>
          <xsl:when test="$inner = 'callers'"><xsl:value-of select="$callers"/></xsl:when>
          <xsl:when test="$inner = 'when'"><xsl:value-of select="$when"/></xsl:when>
          <xsl:when test="$inner = 'name'"><xsl:value-of select="$name"/></xsl:when>
          <xsl:when test="$inner = 'detail'"><xsl:value-of select="$detail"/></xsl:when>
          <xsl:when test="$inner = 'number'"><xsl:value-of select="$number"/></xsl:when>
          <xsl:when test="$inner = 'seconds'"><xsl:value-of select="$seconds"/></xsl:when>
          <xsl:when test="$inner = 'minutes'"><xsl:value-of select="$minutes"/></xsl:when>
          <xsl:when test="$inner = 'time'"><xsl:value-of select="normalize-space(ancestor-or-self::call/arrival/@time)"/></xsl:when>
          <xsl:when test="$inner = 'zone'">
            <!-- " EST": the zone's name when the recipient's zone is not the system's -->
            <xsl:if test="ancestor-or-self::call/arrival/@show-zone = 'true' and normalize-space(ancestor-or-self::call/arrival/@zone) != ''">
              <xsl:value-of select="concat(' ', normalize-space(ancestor-or-self::call/arrival/@zone))"/>
            </xsl:if>
          </xsl:when>
          <xsl:when test="$inner = 'clock'"><xsl:value-of select="normalize-space(ancestor-or-self::call/ring/@clock)"/></xsl:when>
          <xsl:when test="$inner = 'date'"><xsl:value-of select="normalize-space(ancestor-or-self::call/arrival/@date)"/></xsl:when>
          <xsl:when test="$inner = 'date-long'"><xsl:value-of select="normalize-space(ancestor-or-self::call/arrival/@date-long)"/></xsl:when>
          <xsl:when test="$inner = 'weekday'"><xsl:value-of select="normalize-space(ancestor-or-self::call/arrival/@weekday)"/></xsl:when>
          <xsl:otherwise><xsl:value-of select="concat('{', $inner, '}')"/></xsl:otherwise>
        </xsl:choose>
        <xsl:call-template name="fill">
          <xsl:with-param name="rest" select="substring-after(substring-after($rest, '{'), '}')"/>
          <xsl:with-param name="count" select="$count"/>
          <xsl:with-param name="caller" select="$caller"/>
          <xsl:with-param name="callers" select="$callers"/>
          <xsl:with-param name="when" select="$when"/>
          <xsl:with-param name="name" select="$name"/>
          <xsl:with-param name="detail" select="$detail"/>
          <xsl:with-param name="number" select="$number"/>
          <xsl:with-param name="seconds" select="$seconds"/>
          <xsl:with-param name="minutes" select="$minutes"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="$rest"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- "Today, 08:05" and the like (context: call) -->
  <xsl:template name="when">
    <xsl:variable name="day" select="arrival/@relative-day"/>
    <xsl:call-template name="text">
      <xsl:with-param name="key">
        <xsl:choose>
          <xsl:when test="$day = 'today'">when-today</xsl:when>
          <xsl:when test="$day = 'yesterday'">when-yesterday</xsl:when>
          <xsl:otherwise>when-earlier</xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <!-- How to name the caller (context: call).
       style 'title': name, else company, else number, else unknown/hidden;
       style 'full':  like title, with the company in brackets after a name;
       style 'list':  like title, but the lower-case list words for unknown/hidden. -->
  <xsl:template name="caller-label">
    <xsl:param name="style" select="'title'"/>
    <!-- more than max characters (0: no limit) are cut, ending in list-more -->
    <xsl:param name="max" select="0"/>
    <xsl:variable name="label">
      <xsl:call-template name="caller-label-full">
        <xsl:with-param name="style" select="$style"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:choose>
      <xsl:when test="$max &gt; 0 and string-length($label) &gt; $max">
        <xsl:value-of select="normalize-space(substring($label, 1, $max - 1))"/>
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'list-more'"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="$label"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="caller-label-full">
    <xsl:param name="style"/>
    <xsl:variable name="c" select="caller"/>
    <xsl:variable name="name" select="normalize-space($c/name)"/>
    <xsl:variable name="company" select="normalize-space($c/company)"/>
    <xsl:variable name="number" select="normalize-space($c/number/@display)"/>
    <xsl:choose>
      <xsl:when test="$c/@hidden = 'true'">
        <xsl:call-template name="text">
          <xsl:with-param name="key">
            <xsl:choose>
              <xsl:when test="$style = 'list'">list-hidden</xsl:when>
              <xsl:otherwise>hidden-number</xsl:otherwise>
            </xsl:choose>
          </xsl:with-param>
        </xsl:call-template>
      </xsl:when>
      <xsl:when test="$name != '' and $company != '' and $style = 'full'">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'name-with-detail'"/>
          <xsl:with-param name="name" select="$name"/>
          <xsl:with-param name="detail" select="$company"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:when test="$name != ''"><xsl:value-of select="$name"/></xsl:when>
      <xsl:when test="$company != ''"><xsl:value-of select="$company"/></xsl:when>
      <xsl:when test="$number != ''"><xsl:value-of select="$number"/></xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="text">
          <xsl:with-param name="key">
            <xsl:choose>
              <xsl:when test="$style = 'list'">list-unknown</xsl:when>
              <xsl:otherwise>unknown-caller</xsl:otherwise>
            </xsl:choose>
          </xsl:with-param>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Up to two different callers of the mail, then list-more when there are
       further ones. Callers are told apart by number (hidden counts as one). -->
  <xsl:template name="caller-list">
    <xsl:param name="max" select="0"/>
    <xsl:variable name="first" select="$calls[1]"/>
    <xsl:variable name="k1" select="concat($first/caller/@hidden, '|', $first/caller/number/@e164)"/>
    <xsl:variable name="second" select="$calls[concat(caller/@hidden, '|', caller/number/@e164) != $k1][1]"/>
    <xsl:variable name="k2" select="concat($second/caller/@hidden, '|', $second/caller/number/@e164)"/>
    <xsl:for-each select="$first">
      <xsl:call-template name="caller-label">
        <xsl:with-param name="style" select="'list'"/>
        <xsl:with-param name="max" select="$max"/>
      </xsl:call-template>
    </xsl:for-each>
    <xsl:if test="$second">
      <xsl:call-template name="text">
        <xsl:with-param name="key" select="'list-separator'"/>
      </xsl:call-template>
      <xsl:for-each select="$second">
        <xsl:call-template name="caller-label">
          <xsl:with-param name="style" select="'list'"/>
          <xsl:with-param name="max" select="$max"/>
        </xsl:call-template>
      </xsl:for-each>
      <xsl:if test="$calls[concat(caller/@hidden, '|', caller/number/@e164) != $k1 and concat(caller/@hidden, '|', caller/number/@e164) != $k2]">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'list-separator'"/>
        </xsl:call-template>
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'list-more'"/>
        </xsl:call-template>
      </xsl:if>
    </xsl:if>
  </xsl:template>

  <!-- the ring time, in one format for every call: "0:22 min", "1:35 min" (context: call) -->
  <xsl:template name="ring-text">
    <xsl:call-template name="text">
      <xsl:with-param name="key" select="'ring-time'"/>
    </xsl:call-template>
  </xsl:template>

  <!-- the colleagues rung besides the recipient, comma-separated (context: call) -->
  <xsl:template name="others-rung">
    <xsl:for-each select="rang/user[not(@recipient = 'true')]">
      <xsl:if test="position() &gt; 1">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'list-separator'"/>
        </xsl:call-template>
      </xsl:if>
      <xsl:call-template name="user-name"/>
    </xsl:for-each>
  </xsl:template>

  <!-- a user's display name, else the user id (context: user, answered-by) -->
  <xsl:template name="user-name">
    <xsl:choose>
      <xsl:when test="normalize-space(@name) != ''"><xsl:value-of select="normalize-space(@name)"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="normalize-space(@user)"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- who answered a call, for {name}: the user's name, else a-colleague (context: call) -->
  <xsl:template name="answerer">
    <xsl:choose>
      <xsl:when test="answered-by[normalize-space(@name) != '' or normalize-space(@user) != '']">
        <xsl:for-each select="answered-by[1]">
          <xsl:call-template name="user-name"/>
        </xsl:for-each>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'a-colleague'"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- the headline: "You missed a call", "A call for you, answered by Gina Roth", … -->
  <xsl:template name="headline">
    <xsl:choose>
      <xsl:when test="$count = 1 and $calls[1]/@answered = 'true'">
        <xsl:for-each select="$calls[1]">
          <xsl:call-template name="text">
            <xsl:with-param name="key" select="'headline-one-answered'"/>
            <xsl:with-param name="name">
              <xsl:call-template name="answerer"/>
            </xsl:with-param>
          </xsl:call-template>
        </xsl:for-each>
      </xsl:when>
      <xsl:when test="$count = 1">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'headline-one'"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:when test="not($calls[not(@answered = 'true')])">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'headline-many-answered'"/>
          <xsl:with-param name="count" select="$count"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'headline-many'"/>
          <xsl:with-param name="count" select="$count"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- "Line 201": the recipient's lines this call rang (context: call) -->
  <xsl:template name="line-text">
    <xsl:for-each select="lines/line[@recipient = 'true' and normalize-space(@number) != '']">
      <xsl:if test="position() &gt; 1">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'list-separator'"/>
        </xsl:call-template>
      </xsl:if>
      <xsl:call-template name="text">
        <xsl:with-param name="key" select="'line'"/>
        <xsl:with-param name="number" select="normalize-space(@number)"/>
      </xsl:call-template>
    </xsl:for-each>
  </xsl:template>

  <!-- "Answered by Gina Roth", "Went to voicemail" (context: call) -->
  <xsl:template name="status-text">
    <xsl:choose>
      <xsl:when test="@answered = 'true'">
        <xsl:call-template name="answered-text"/>
      </xsl:when>
      <xsl:when test="@voicemail = 'true'">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'status-voicemail'"/>
        </xsl:call-template>
      </xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- "Contact cards attached: Max Mustermann, Frau Müller": each caller with a card once -->
  <xsl:template name="vcards-text">
    <xsl:call-template name="text">
      <xsl:with-param name="key" select="'vcards-attached'"/>
      <xsl:with-param name="callers">
        <xsl:for-each select="$calls[vcard][not(vcard/@file = preceding-sibling::call/vcard/@file)]">
          <xsl:if test="position() &gt; 1">
            <xsl:call-template name="text">
              <xsl:with-param name="key" select="'list-separator'"/>
            </xsl:call-template>
          </xsl:if>
          <xsl:call-template name="caller-label"/>
        </xsl:for-each>
      </xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <!-- "Answered by Carl Weber" (context: call) -->
  <xsl:template name="answered-text">
    <xsl:choose>
      <xsl:when test="answered-by[normalize-space(@name) != '' or normalize-space(@user) != '']">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'status-answered'"/>
          <xsl:with-param name="name">
            <xsl:for-each select="answered-by">
              <xsl:call-template name="user-name"/>
            </xsl:for-each>
          </xsl:with-param>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'status-answered-elsewhere'"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- "Anna Schmidt (201)" (context: call) -->
  <xsl:template name="redirected-text">
    <xsl:variable name="name" select="normalize-space(redirected-from/@name)"/>
    <xsl:variable name="number" select="normalize-space(redirected-from/@number)"/>
    <xsl:choose>
      <xsl:when test="$name != '' and $number != ''">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'name-with-detail'"/>
          <xsl:with-param name="name" select="$name"/>
          <xsl:with-param name="detail" select="$number"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="concat($name, $number)"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- label of a further number by its kind (context: other-number) -->
  <xsl:template name="phone-kind">
    <xsl:variable name="kind" select="translate(normalize-space(@kind), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"/>
    <xsl:call-template name="text">
      <xsl:with-param name="key">
        <xsl:choose>
          <xsl:when test="$kind = 'work' or $kind = 'cell' or $kind = 'home' or $kind = 'fax'">
            <xsl:value-of select="concat('phone-', $kind)"/>
          </xsl:when>
          <xsl:otherwise>phone-other</xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
    </xsl:call-template>
  </xsl:template>

</xsl:stylesheet>
