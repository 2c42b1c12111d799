/*
 * Bundled list of common passwords (new passwords on it are refused). Entries of 8 characters or
 * more from SecLists' Passwords/Common-Credentials/10k-most-common.txt (MIT licence, Daniel
 * Miessler et al.; shorter entries fail the length rule anyway), plus long variants that pass a
 * length rule while being among the first guesses of any cracking list. Lower case; the policy
 * also checks the password with trailing digits and symbols stripped.
 */
const LIST = `
password 12345678 baseball football jennifer superman trustno1 michelle sunshine 123456789 starwars
computer corvette princess iloveyou maverick steelers whatever hardcore mercedes bigdaddy midnight
11111111 marlboro victoria butthead startrek danielle redskins mountain xxxxxxxx 88888888 nicholas
metallic qwertyui dolphins cocacola rush2112 jonathan scorpion godzilla williams lifehack platinum
garfield 69696969 jordan23 elephant airborne explorer christin december benjamin brooklyn redwings
michigan 87654321 einstein snowball alexande passw0rd lasvegas slipknot kimberly 1q2w3e4r carolina
colorado creative bollocks darkness asdfghjk poohbear nintendo november password1 lacrosse paradise
maryjane spitfire anderson cherokee drowssap 1qaz2wsx caroline franklin snickers courtney westside
patricia semperfi freeuser babygirl champion softball security wildcats veronica abcd1234 wolverin
remember freepass pearljam peekaboo budlight electric stargate brittany swimming swordfis blink182
virginia passport aaaaaaaa rolltide chevelle liverpool patriots spiderma cardinal kawasaki ncc1701d
elizabet wolfpack lawrence american stingray simpsons pussycat loverboy tarheels wolfgang testtest
michael1 pakistan infinity letmein1 hercules billybob pavilion changeme darkside zeppelin darkstar
charlie1 wrangler qwerty12 bobafett business sterling babydoll cheyenne mustang1 presario longhorn
21122112 q1w2e3r4 12341234 devildog bluebird metallica access14 enterpri blizzard asdf1234 harrison
thailand 1234567890 cadillac hellfire lonewolf 12121212 fireball precious basketba valentin morpheus
hotstuff wrinkle1 99999999 serenity chocolat christia birthday stephani 1234qwer 98765432 77777777
highland seminole airforce hamilton buckeyes abcdefgh goldfish deftones icecream pleasure juventus
ncc1701e 51505150 cavalier aardvark savannah yankees1 fredfred concrete shamrock atlantis wordpass
predator marathon montreal kathleen jessica1 diamonds stallion letmein2 renegade hollywoo sundance
hello123 sweetpea stocking christop geronimo chandler lovelove greenday 987654321 trombone tottenha
butterfl clifford skywalke infantry raistlin vanhalen sherlock dietcoke ultimate superfly freedom1
drpepper musicman warcraft microsoft morrison thuglife isabelle stonecol logitech bluemoon 1passwor
stardust 22222222 margaret 66666666 charlott waterloo 11223344 alexandr hannibal frontier welcome1
kristina showtime squirrel septembe leonardo makaveli vacation passwor1 columbia napoleon motorola
william1 matthew1 robinson penguins 8j4ye3uz californ qwertyuiop asdfghjkl overlord stranger socrates
spiderman 13131313 national megadeth isabella megapass grateful mushroom hongkong basketball satan666
kingkong penelope thompson anything knickers lightnin slapshot titleist werewolf fernando tacobell
kittycat thunder1 thankyou scoobydo coltrane lonestar heather1 beefcake zzzzzzzz personal anthony1
punkrock lowrider dodgeram dingdong qqqqqqqq johnjohn crusader syracuse meridian turkey50 keyboard
richmond sandiego cooldude mariners caliente fletcher porsche9 kangaroo goodtime chelsea1 freckles
nebraska webmaster blueeyes director monopoly blackjac southern peterpan a1b2c3d4 sentinel richard1
1234abcd guardian candyman munchkin billyboy rootbeer assassin frederic giovanni scarlett achilles
warriors plymouth sithlord backdoor chevrole lorraine cosworth eternity verbatim chocolate deadhead
pineappl rosemary porkchop blackdog alexander valhalla santiago portugal 1qazxsw2 sebastia hurrican
1x2zkg8w hyperion 44444444 skittles hastings sailboat immortal maryland columbus beautiful swordfish
dilligaf pinkfloy catalina formula1 scooter1 colombia lancelot angelica rockhard starship starbuck
catherin kentucky 33333333 12344321 sapphire raiders1 excalibu golfball front242 macdaddy qwer1234
cowboys1 dannyboy martinez aquarius pppppppp clarence beatrice research gggggggg doughboy lollipop
qazwsxed crazybab brothers gateway1 greatone snuggles technics brucelee woofwoof theodore richards
username elizabeth lifetime abnormal davidson starfish michaela caligula railroad bradford military
bearbear patrick1 christine swinging labrador justdoit meatball saturday defender microsof mechanic
robotech universe newpass6 hellyeah zaq12wsx spectrum jjjjjjjj oklahoma mmmmmmmm blueblue wolverine
keystone bbbbbbbb handsome tttttttt ssssssss somethin melissa1 marcius2 godsmack rangers1 yosemite
tommyboy marianne happyday manchest unbelievable aberdeen nathalie supersta hardrock children
commando meathead gandalf1 magnolia kenworth homemade temptress celebrity trinidad blackhaw meatloaf
fantasies pool6123 gordon24 whocares jamesbon amsterda luckydog brandon1 software thirteen greenbay
pa55word test1234 sneakers roadkill christian brighton emmanuel bigmoney canadian crawford barcelon
chainsaw chickens downtown magicman clevelan designer budweise passwords jeremiah alliance halflife
saratoga positive sunnyday starfire testing1 tiberius lisalisa golfgolf flounder majestic trailers
mikemike whitesox angelina goodluck charlton treasure absolutely beerbeer fordf150
password12 password123 password1234 password12345 password123456 passwordpassword p@ssw0rd p@ssword
p@ssw0rd123 passw0rd123 qwerty123 qwerty1234 qwerty12345 qwerty123456 qwertyuiop123 qwertyqwerty
1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx3edc zaq12wsxcde3 qazwsxedc qazwsxedcrfv 123456789012 1234567890123
12345678910 0123456789 0987654321 1234512345 123123123123 111111111111 000000000000 123qweasdzxc
abc123456789 abcdefghijkl abcdefgh1234 asdfghjkl123 iloveyou123 iloveyou1234 letmein123 letmeinplease
welcome123 welcome1234 welcome2024 welcome2025 changeme123 changeme1234 administrator administrator1
admin123456 admin1234567 adminadmin123 trustno1trustno1 correcthorsebatterystaple monkey123456
dragon123456 football1234 baseball1234 superman1234 sunshine1234 princess1234 master123456
summer2024 summer2025 winter2024 winter2025 spring2024 autumn2024 january2025 company123
`;

export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(LIST.split(/\s+/).filter(Boolean));
