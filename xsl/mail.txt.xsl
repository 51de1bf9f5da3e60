<?xml version="1.0" encoding="UTF-8"?>
<!--
  unanswered - default plain-text mail (the text/plain part next to the HTML).

  Input: the <notification> document described in xsl/README.md.
  Output: UTF-8 text, lines of at most 78 characters where the words allow it
  (a single word longer than a line, e.g. a long address, is not broken).
  All values are whitespace-normalised, so nothing from the document can
  start a line of its own.

  The file is self-contained on purpose (the built-in copy is compiled
  without an include directory); the helpers at the end are the same as in
  mail.html.xsl and subject.xsl.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:output method="text" encoding="UTF-8"/>

  <xsl:strip-space elements="*"/>

  <xsl:key name="string" match="/notification/strings/string" use="@key"/>

  <xsl:variable name="n" select="/notification"/>
  <xsl:variable name="calls" select="$n/calls/call"/>
  <xsl:variable name="count" select="count($calls)"/>

  <xsl:variable name="nl" select="'&#10;'"/>
  <xsl:variable name="line-width" select="78"/>
  <xsl:variable name="spaces" select="'                                        '"/>
  <xsl:variable name="rule" select="'------------------------------------------------------------------------------'"/>

  <!-- width of the label column: the longest label plus ": ", within 12..30 -->
  <xsl:variable name="label-width">
    <xsl:for-each select="$n/strings/string[starts-with(@key, 'label-') or starts-with(@key, 'phone-')]">
      <xsl:sort select="string-length(normalize-space(.))" data-type="number" order="descending"/>
      <xsl:if test="position() = 1">
        <xsl:variable name="w" select="string-length(normalize-space(.)) + 3"/>
        <xsl:choose>
          <xsl:when test="$w &lt; 12">12</xsl:when>
          <xsl:when test="$w &gt; 30">30</xsl:when>
          <xsl:otherwise><xsl:value-of select="$w"/></xsl:otherwise>
        </xsl:choose>
      </xsl:if>
    </xsl:for-each>
    <xsl:if test="not($n/strings/string[starts-with(@key, 'label-') or starts-with(@key, 'phone-')])">12</xsl:if>
  </xsl:variable>

  <xsl:template match="/">
    <xsl:variable name="headline">
      <xsl:call-template name="headline"/>
    </xsl:variable>
    <xsl:value-of select="$headline"/>
    <xsl:value-of select="$nl"/>
    <xsl:value-of select="translate(substring($rule, 1, string-length($headline)), '-', '=')"/>
    <xsl:value-of select="$nl"/>

    <xsl:for-each select="$calls">
      <xsl:value-of select="$nl"/>
      <xsl:call-template name="call"/>
    </xsl:for-each>

    <xsl:if test="$count &gt; 1 and $calls[vcard]">
      <xsl:value-of select="$nl"/>
      <xsl:call-template name="paragraph">
        <xsl:with-param name="text">
          <xsl:call-template name="vcards-text"/>
        </xsl:with-param>
        <xsl:with-param name="blank" select="false()"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:value-of select="$nl"/>
    <!-- the signature separator: mail programs dim it and leave it out of replies -->
    <xsl:text>-- &#10;</xsl:text>
    <xsl:call-template name="paragraph">
      <xsl:with-param name="text">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'footer-reason'"/>
        </xsl:call-template>
        <xsl:if test="$calls[@answered = 'true']">
          <xsl:text> </xsl:text>
          <xsl:call-template name="text">
            <xsl:with-param name="key" select="'footer-answered'"/>
          </xsl:call-template>
        </xsl:if>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="paragraph">
      <xsl:with-param name="text">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'footer-automatic'"/>
        </xsl:call-template>
        <xsl:if test="$n/@replies-to = 'caller' or $n/@sender = 'caller'">
          <xsl:text> </xsl:text>
          <xsl:call-template name="text">
            <xsl:with-param name="key" select="'footer-reply-caller'"/>
          </xsl:call-template>
        </xsl:if>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="paragraph">
      <xsl:with-param name="text">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'footer-stop'"/>
        </xsl:call-template>
      </xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <!-- one call (context: call) -->
  <xsl:template name="call">
    <xsl:variable name="c" select="caller"/>
    <xsl:variable name="hidden" select="$c/@hidden = 'true'"/>
    <xsl:variable name="has-name" select="normalize-space($c/name) != ''"/>
    <xsl:variable name="has-company" select="normalize-space($c/company) != ''"/>
    <xsl:variable name="has-number" select="not($hidden) and normalize-space($c/number/@display) != ''"/>

    <xsl:value-of select="substring($rule, 1, $line-width)"/>
    <xsl:value-of select="$nl"/>
    <xsl:call-template name="row">
      <xsl:with-param name="label" select="'label-time'"/>
      <xsl:with-param name="value">
        <xsl:call-template name="when"/>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:if test="lines/line[@recipient = 'true']">
      <xsl:call-template name="row">
        <xsl:with-param name="label" select="'label-line'"/>
        <xsl:with-param name="value">
          <xsl:call-template name="line-text"/>
        </xsl:with-param>
      </xsl:call-template>
    </xsl:if>
    <xsl:call-template name="row">
      <xsl:with-param name="label" select="'label-caller'"/>
      <xsl:with-param name="value">
        <xsl:choose>
          <xsl:when test="$has-number and not($has-name) and not($has-company)">
            <xsl:value-of select="normalize-space($c/number/@display)"/>
          </xsl:when>
          <xsl:otherwise>
            <xsl:call-template name="caller-label">
              <xsl:with-param name="style" select="'title'"/>
            </xsl:call-template>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
      <xsl:with-param name="note">
        <xsl:if test="$has-number and not($has-name) and not($has-company)">
          <xsl:call-template name="text">
            <xsl:with-param name="key" select="'not-in-directory'"/>
          </xsl:call-template>
        </xsl:if>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:if test="$has-name and $has-company">
      <xsl:call-template name="row">
        <xsl:with-param name="label" select="'label-company'"/>
        <xsl:with-param name="value" select="normalize-space($c/company)"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:if test="$has-number and ($has-name or $has-company)">
      <xsl:call-template name="row">
        <xsl:with-param name="label" select="'label-number'"/>
        <xsl:with-param name="value" select="normalize-space($c/number/@display)"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:for-each select="$c/other-number[normalize-space(@display) != '']">
      <xsl:call-template name="row">
        <xsl:with-param name="label-text">
          <xsl:call-template name="phone-kind"/>
        </xsl:with-param>
        <xsl:with-param name="value" select="normalize-space(@display)"/>
      </xsl:call-template>
    </xsl:for-each>
    <xsl:if test="normalize-space($c/email) != ''">
      <xsl:call-template name="row">
        <xsl:with-param name="label" select="'label-email'"/>
        <xsl:with-param name="value" select="normalize-space($c/email)"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:if test="ring">
      <xsl:call-template name="row">
        <xsl:with-param name="label" select="'label-ring-time'"/>
        <xsl:with-param name="value">
          <xsl:call-template name="ring-text"/>
        </xsl:with-param>
      </xsl:call-template>
    </xsl:if>
    <xsl:if test="rang/user[not(@recipient = 'true')]">
      <xsl:call-template name="row">
        <xsl:with-param name="label" select="'label-rang'"/>
        <xsl:with-param name="value">
          <xsl:call-template name="others-rung"/>
        </xsl:with-param>
      </xsl:call-template>
    </xsl:if>
    <xsl:if test="@answered = 'true'">
      <xsl:choose>
        <xsl:when test="answered-by[normalize-space(@name) != '' or normalize-space(@user) != '']">
          <xsl:call-template name="row">
            <xsl:with-param name="label" select="'label-answered-by'"/>
            <xsl:with-param name="value">
              <xsl:for-each select="answered-by">
                <xsl:call-template name="user-name"/>
              </xsl:for-each>
            </xsl:with-param>
          </xsl:call-template>
        </xsl:when>
        <xsl:otherwise>
          <xsl:call-template name="paragraph">
            <xsl:with-param name="text">
              <xsl:call-template name="answered-text"/>
            </xsl:with-param>
            <xsl:with-param name="blank" select="false()"/>
          </xsl:call-template>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:if>
    <xsl:if test="redirected-from">
      <xsl:call-template name="row">
        <xsl:with-param name="label" select="'label-redirected-from'"/>
        <xsl:with-param name="value">
          <xsl:call-template name="redirected-text"/>
        </xsl:with-param>
      </xsl:call-template>
    </xsl:if>
    <xsl:if test="@voicemail = 'true'">
      <xsl:call-template name="paragraph">
        <xsl:with-param name="text">
          <xsl:call-template name="text">
            <xsl:with-param name="key" select="'status-voicemail'"/>
          </xsl:call-template>
        </xsl:with-param>
        <xsl:with-param name="blank" select="false()"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:if test="$hidden">
      <xsl:call-template name="paragraph">
        <xsl:with-param name="text">
          <xsl:call-template name="text">
            <xsl:with-param name="key" select="'hidden-number-note'"/>
          </xsl:call-template>
        </xsl:with-param>
        <xsl:with-param name="blank" select="false()"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:if test="vcard and $count = 1">
      <xsl:call-template name="paragraph">
        <xsl:with-param name="text">
          <xsl:call-template name="text">
            <xsl:with-param name="key" select="'vcard-attached'"/>
          </xsl:call-template>
        </xsl:with-param>
        <xsl:with-param name="blank" select="false()"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- "Label:      value", the value wrapped under itself -->
  <xsl:template name="row">
    <xsl:param name="label" select="''"/>
    <xsl:param name="label-text">
      <xsl:call-template name="text">
        <xsl:with-param name="key" select="$label"/>
      </xsl:call-template>
    </xsl:param>
    <xsl:param name="value"/>
    <!-- a further line under the value -->
    <xsl:param name="note" select="''"/>
    <xsl:variable name="head" select="concat(normalize-space($label-text), ':')"/>
    <xsl:variable name="pad" select="$label-width - string-length($head)"/>
    <xsl:value-of select="$head"/>
    <xsl:choose>
      <xsl:when test="$pad &gt; 0">
        <xsl:value-of select="substring($spaces, 1, $pad)"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:text> </xsl:text>
      </xsl:otherwise>
    </xsl:choose>
    <xsl:call-template name="wrap">
      <xsl:with-param name="text" select="normalize-space($value)"/>
      <xsl:with-param name="width" select="$line-width - $label-width"/>
      <xsl:with-param name="indent" select="substring($spaces, 1, $label-width)"/>
    </xsl:call-template>
    <xsl:value-of select="$nl"/>
    <xsl:if test="normalize-space($note) != ''">
      <xsl:value-of select="substring($spaces, 1, $label-width)"/>
      <xsl:call-template name="wrap">
        <xsl:with-param name="text" select="normalize-space($note)"/>
        <xsl:with-param name="width" select="$line-width - $label-width"/>
        <xsl:with-param name="indent" select="substring($spaces, 1, $label-width)"/>
      </xsl:call-template>
      <xsl:value-of select="$nl"/>
    </xsl:if>
  </xsl:template>

  <!-- a wrapped paragraph, followed by an empty line unless blank is false -->
  <xsl:template name="paragraph">
    <xsl:param name="text"/>
    <xsl:param name="blank" select="true()"/>
    <xsl:call-template name="wrap">
      <xsl:with-param name="text" select="normalize-space($text)"/>
      <xsl:with-param name="width" select="$line-width"/>
      <xsl:with-param name="indent" select="''"/>
    </xsl:call-template>
    <xsl:value-of select="$nl"/>
    <xsl:if test="$blank">
      <xsl:value-of select="$nl"/>
    </xsl:if>
  </xsl:template>

  <!-- Word wrap of a whitespace-normalised text: lines of at most $width
       characters, continuation lines start with $indent. One recursion per
       line; a word longer than a line stands on a line of its own. -->
  <xsl:template name="wrap">
    <xsl:param name="text"/>
    <xsl:param name="width"/>
    <xsl:param name="indent"/>
    <xsl:choose>
      <xsl:when test="string-length($text) &lt;= $width">
        <xsl:value-of select="$text"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="cut">
          <xsl:call-template name="last-space">
            <xsl:with-param name="text" select="substring($text, 1, $width + 1)"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:variable name="at">
          <xsl:choose>
            <xsl:when test="$cut &gt; 0"><xsl:value-of select="$cut"/></xsl:when>
            <!-- no space within the line: break after the long word -->
            <xsl:when test="contains($text, ' ')">
              <xsl:value-of select="string-length(substring-before($text, ' ')) + 1"/>
            </xsl:when>
            <xsl:otherwise>0</xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <xsl:choose>
          <xsl:when test="$at &gt; 0">
            <xsl:value-of select="substring($text, 1, $at - 1)"/>
            <xsl:value-of select="$nl"/>
            <xsl:value-of select="$indent"/>
            <xsl:call-template name="wrap">
              <xsl:with-param name="text" select="substring($text, $at + 1)"/>
              <xsl:with-param name="width" select="$width"/>
              <xsl:with-param name="indent" select="$indent"/>
            </xsl:call-template>
          </xsl:when>
          <xsl:otherwise>
            <xsl:value-of select="$text"/>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- position of the last space in $text, 0 when there is none -->
  <xsl:template name="last-space">
    <xsl:param name="text"/>
    <xsl:param name="offset" select="0"/>
    <xsl:choose>
      <xsl:when test="contains($text, ' ')">
        <xsl:call-template name="last-space">
          <xsl:with-param name="text" select="substring-after($text, ' ')"/>
          <xsl:with-param name="offset" select="$offset + string-length(substring-before($text, ' ')) + 1"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:value-of select="$offset"/>
      </xsl:otherwise>
    </xsl:choose>
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
