<?xml version="1.0" encoding="UTF-8"?>
<!--
  unanswered - default subject line.

  Input: the <notification> document described in xsl/README.md.
  Output: one line of text; the program collapses any whitespace and encodes
  it for the mail header, so nothing in it can start a header of its own.

    one call:   "Missed call from Max Mustermann (Acme GmbH)"
                "Missed call from +49 221 4711000"
                "Missed call from a hidden number"
    n calls:    "3 missed calls (Max Mustermann, +49 221 4711000, …)"
                (at most two different callers, then list-more)

  The file is self-contained on purpose (the built-in copy is compiled
  without an include directory); the helpers at the end are the same as in
  mail.html.xsl and mail.txt.xsl.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:output method="text" encoding="UTF-8"/>

  <xsl:strip-space elements="*"/>

  <xsl:key name="string" match="/notification/strings/string" use="@key"/>

  <xsl:variable name="n" select="/notification"/>
  <xsl:variable name="calls" select="$n/calls/call"/>
  <xsl:variable name="count" select="count($calls)"/>

  <xsl:template match="/">
    <xsl:variable name="subject">
      <xsl:choose>
        <xsl:when test="$count = 1">
          <xsl:for-each select="$calls[1]">
            <xsl:call-template name="one"/>
          </xsl:for-each>
        </xsl:when>
        <xsl:otherwise>
          <xsl:call-template name="text">
            <xsl:with-param name="key" select="'subject-many'"/>
            <xsl:with-param name="count" select="$count"/>
            <xsl:with-param name="callers">
              <xsl:call-template name="caller-list">
                <xsl:with-param name="max" select="40"/>
              </xsl:call-template>
            </xsl:with-param>
          </xsl:call-template>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:value-of select="normalize-space($subject)"/>
  </xsl:template>

  <!-- subject of a mail about one call (context: call) -->
  <xsl:template name="one">
    <xsl:variable name="c" select="caller"/>
    <xsl:choose>
      <xsl:when test="$c/@hidden = 'true'">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'subject-one-hidden'"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:when test="normalize-space($c/name) = '' and normalize-space($c/company) = '' and normalize-space($c/number/@display) = ''">
        <xsl:call-template name="text">
          <xsl:with-param name="key" select="'subject-one-unknown'"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="caller">
          <xsl:call-template name="caller-label">
            <xsl:with-param name="style" select="'full'"/>
            <xsl:with-param name="max" select="80"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:choose>
          <!-- answered by a colleague: the subject says so, not "missed" -->
          <xsl:when test="@answered = 'true'">
            <xsl:call-template name="text">
              <xsl:with-param name="key" select="'subject-one-answered'"/>
              <xsl:with-param name="caller" select="$caller"/>
              <xsl:with-param name="name">
                <xsl:call-template name="answerer"/>
              </xsl:with-param>
            </xsl:call-template>
          </xsl:when>
          <xsl:when test="@voicemail = 'true'">
            <xsl:call-template name="text">
              <xsl:with-param name="key" select="'subject-one-voicemail'"/>
              <xsl:with-param name="caller" select="$caller"/>
            </xsl:call-template>
          </xsl:when>
          <xsl:otherwise>
            <xsl:call-template name="text">
              <xsl:with-param name="key" select="'subject-one'"/>
              <xsl:with-param name="caller" select="$caller"/>
            </xsl:call-template>
          </xsl:otherwise>
        </xsl:choose>
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
