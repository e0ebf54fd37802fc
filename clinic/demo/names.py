"""Invented people for demo data: given and family names from the many cultures a US clinic sees.

Every name here is a common given or family name, combined at random, so no entry describes a
real person. Names in non-Latin scripts carry a romanisation (``Roman:native``) because people
write those names either way on a web form, and an email address needs ASCII. Within a list,
a token with ``_`` is one name with a space in it ("María_José").
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

from clinic.demo.chance import Weighted, between, one_of

# Letters Unicode does not decompose into a base letter and an accent.
_ASCII_LETTERS = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "đ": "d", "Đ": "D",
     "ı": "i", "ß": "ss", "ʻ": "", "'": "", "’": ""}
)  # fmt: skip


def ascii_name(name: str) -> str:
    """Lower-case ASCII letters of a Latin-script name, for email addresses: 'Łukasz' → 'lukasz'."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_ASCII_LETTERS))
    return re.sub(r"[^a-z]", "", decomposed.encode("ascii", "ignore").decode().lower())


@dataclass(frozen=True)
class Name:
    """One name as written (maybe in its own script), in Latin letters, and as email ASCII."""

    written: str
    roman: str
    ascii: str


def _names(text: str) -> tuple[Name, ...]:
    names = []
    for token in text.split():
        roman, _, native = token.replace("_", " ").partition(":")
        names.append(Name(native or roman, roman, ascii_name(roman)))
    return tuple(names)


@dataclass(frozen=True)
class Culture:
    """Name lists for one naming tradition and how its names are put together."""

    key: str
    weight: float
    female: tuple[Name, ...]
    male: tuple[Name, ...]
    family: tuple[Name, ...]
    # Family names that differ for women (Greek, Russian), index-aligned with ``family``.
    family_female: tuple[Name, ...] = ()
    # Share of people who write their name in the culture's own script.
    native_share: float = 0.0
    # In its own script the family name comes first (Chinese, Japanese, Korean, Vietnamese).
    family_first: bool = False
    # Written without a space between family and given name in its own script (CJK).
    joined: bool = False


CULTURES: tuple[Culture, ...] = (
    Culture(
        "anglo",
        30,
        _names("""Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa
            Nancy Betty Sandra Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa
            Deborah Stephanie Dorothy Rebecca Sharon Laura Cynthia Amy Kathleen Angela Shirley
            Brenda Emma Olivia Hannah Madison Abigail Tiffany Latoya Keisha Shanice Ebony
            Tamika Brittany Courtney Heather Crystal Jasmine Destiny Imani Aaliyah
            Mary_Beth Anne-Marie"""),
        _names("""James Robert John Michael David William Richard Joseph Thomas Christopher Charles
            Daniel Matthew Anthony Mark Donald Steven Andrew Paul Joshua Kenneth Kevin Brian George
            Timothy Ronald Jason Edward Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry
            Justin Scott Brandon Benjamin Samuel Gregory Alexander Patrick Frank Raymond Jack Dennis
            Jerry Tyrone DeShawn Jamal Darnell Marquis Terrence Cedric Andre Billy_Ray"""),
        _names("""Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas
            Moore Jackson Martin Thompson White Harris Clark Lewis Robinson Walker Young Allen King
            Wright Scott Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips
            Campbell Parker Evans Edwards Collins Stewart Morris Murphy Cook Rogers Morgan Cooper
            Peterson Bailey Reed Kelly Howard Cox Ward Richardson Watson Brooks Wood James Bennett
            Gray Hughes Price Sanders Myers Long Ross Foster Powell Jenkins Perry Russell Sullivan
            Bell Coleman Butler Henderson Barnes Fisher Washington Hayes Graham Simmons Porter
            Hunter Gibson Ellis Wallace Stevens Jefferson Banks Freeman Holloway Smith-Jones
            McAllister"""),
    ),
    Culture(
        "hispanic",
        17,
        _names("""María Guadalupe Ana Sofía Lucía Carmen Rosa Isabel Valentina Camila Ximena
            Mariana Daniela Gabriela Verónica Leticia Inés Begoña Maite Araceli María_José
            Ana_Lucía Yesenia Marisol Dolores Consuelo Pilar Itzel Nayeli Rocío"""),
        _names("""José Juan Luis Carlos Jesús Miguel_Ángel Alejandro Andrés Diego Javier Fernando
            Ricardo Sergio Raúl Óscar Héctor Joaquín Iñaki Rubén Tomás Jorge Francisco Juan_Carlos
            Ramón Efraín Ulises Rodrigo Emiliano Santiago Matías"""),
        _names("""García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez Torres
            Flores Rivera Gómez Díaz Cruz Morales Reyes Gutiérrez Ortiz Chávez Ramos Ruiz Jiménez
            Mendoza Castillo Vásquez Romero Herrera Medina Aguilar Núñez Peña Muñoz Ibáñez
            Castañeda Vargas Delgado Fuentes Rosales Cabrera Domínguez Guzmán Velázquez Zúñiga
            Ordóñez Cortés Avilés"""),
    ),
    Culture(
        "chinese",
        4,
        _names("""Fang:芳 Min:敏 Jing:静 Li:丽 Ting:婷 Xue:雪 Hui:慧 Ling:玲 Xiuying:秀英
            Xiaoyan:晓燕 Meiling:美玲 Xinyi:欣怡 Yan:燕 Juan:娟 Lan:兰"""),
        _names("""Wei:伟 Qiang:强 Lei:磊 Jun:军 Yang:洋 Yong:勇 Jie:杰 Tao:涛 Ming:明 Haoran:浩然
            Zixuan:子轩 Jianguo:建国 Hao:浩 Peng:鹏 Bo:波"""),
        _names("""Wang:王 Li:李 Zhang:张 Liu:刘 Chen:陈 Yang:杨 Huang:黄 Zhao:赵 Wu:吴 Zhou:周 Xu:徐
            Sun:孙 Ma:马 Zhu:朱 Hu:胡 Guo:郭 He:何 Lin:林 Gao:高 Luo:罗"""),
        native_share=0.5,
        family_first=True,
        joined=True,
    ),
    Culture(
        "indian",
        4,
        _names("""Priya:प्रिया Ananya:अनन्या Divya:दिव्या Lakshmi:लक्ष्मी Pooja:पूजा Sunita:सुनीता
            Kavya:काव्या Aishwarya:ऐश्वर्या Neha:नेहा Meera:मीरा Deepa:दीपा Anjali:अंजलि"""),
        _names("""Arjun:अर्जुन Rahul:राहुल Vikram:विक्रम Amit:अमित Rajesh:राजेश Sanjay:संजय
            Aditya:आदित्य Rohan:रोहन Suresh:सुरेश Karthik:कार्तिक Anil:अनिल Vijay:विजय"""),
        _names("""Patel:पटेल Sharma:शर्मा Singh:सिंह Kumar:कुमार Gupta:गुप्ता Reddy:रेड्डी Iyer:अय्यर
            Nair:नायर Shah:शाह Desai:देसाई Mehta:मेहता Joshi:जोशी Rao:राव Agarwal:अग्रवाल
            Chatterjee:चटर्जी Menon:मेनन Kapoor:कपूर Verma:वर्मा"""),
        native_share=0.1,
    ),
    Culture(
        "vietnamese",
        3,
        _names("""Hương Lan Linh Mai Ngọc Thảo Trang Hạnh Phương Thủy Hằng Yến Thị_Hương Thị_Lan
            Ngọc_Anh Thu_Trang"""),
        _names("""Minh Huy Dũng Tuấn Hùng Quang Khoa Long Phúc Thắng Bảo Đức Văn_An Văn_Nam
            Quốc_Bảo Thanh_Tùng"""),
        _names("""Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý"""),
        native_share=0.6,
        family_first=True,
    ),
    Culture(
        "filipino",
        3,
        _names("""Maricel Rowena Jocelyn Marites Lorna Cristina Rosalie Jasmine Analyn Divina
            Ligaya Luzviminda Ma._Theresa"""),
        _names("""Jose Juan Rodel Jericho Ramon Danilo Rommel Arnel Efren Ronaldo Bayani
            Mark_Anthony John_Paul"""),
        _names("""Santos Reyes Cruz Bautista Ocampo Garcia Mendoza Torres Tomas Andrada Castillo
            Flores Villanueva Ramos Castro Rivera Aquino Navarro Salazar Mercado Dela_Cruz
            De_Guzman Manalo Macapagal Dimaculangan"""),
    ),
    Culture(
        "korean",
        2,
        _names("""Ji-eun:지은 Seo-yeon:서연 Min-ji:민지 Su-jin:수진 Ha-eun:하은 Ye-rin:예린
            Eun-young:은영 Hye-jin:혜진"""),
        _names("""Min-jun:민준 Seo-jun:서준 Ji-hoon:지훈 Hyun-woo:현우 Dong-hyun:동현 Sung-min:성민
            Jun-ho:준호 Young-soo:영수"""),
        _names("""Kim:김 Lee:이 Park:박 Choi:최 Jung:정 Kang:강 Cho:조 Yoon:윤 Jang:장 Lim:임 Han:한
            Oh:오 Seo:서 Shin:신"""),
        native_share=0.4,
        family_first=True,
        joined=True,
    ),
    Culture(
        "japanese",
        1,
        _names("""Hanako:花子 Yoko:陽子 Misaki:美咲 Yumi:由美 Keiko:恵子 Sakura:さくら Ai:愛
            Yui:結衣"""),
        _names("""Taro:太郎 Ken:健 Daisuke:大輔 Shota:翔太 Takuya:拓也 Makoto:誠 Hiroshi:浩
            Ren:蓮"""),
        _names("""Sato:佐藤 Suzuki:鈴木 Takahashi:高橋 Tanaka:田中 Ito:伊藤 Watanabe:渡辺
            Yamamoto:山本 Nakamura:中村 Kobayashi:小林 Kato:加藤"""),
        native_share=0.3,
        family_first=True,
        joined=True,
    ),
    Culture(
        "arabic",
        3,
        _names("""Fatima:فاطمة Aisha:عائشة Layla:ليلى Mariam:مريم Noor:نور Zainab:زينب Huda:هدى
            Rania:رانيا Salma:سلمى Yasmin:ياسمين Amal:أمل Hanan:حنان"""),
        _names("""Mohammed:محمد Ahmed:أحمد Omar:عمر Ali:علي Youssef:يوسف Khaled:خالد Hassan:حسن
            Ibrahim:إبراهيم Tariq:طارق Samir:سمير Karim:كريم Mustafa:مصطفى"""),
        _names("""Al-Ahmad:الأحمد Haddad:حداد Khalil:خليل Mansour:منصور Nasser:ناصر Saleh:صالح
            Hassan:حسن Abdullah:عبدالله Al-Masri:المصري Youssef:يوسف Farah:فرح Othman:عثمان
            Rahman:رحمن Aziz:عزيز"""),
        native_share=0.35,
    ),
    Culture(
        "persian",
        1,
        _names("""Sara:سارا Maryam:مریم Zahra:زهرا Fatemeh:فاطمه Shirin:شیرین Nasrin:نسرین
            Parisa:پریسا Leila:لیلا"""),
        _names("""Ali:علی Reza:رضا Hossein:حسین Mehdi:مهدی Amir:امیر Dariush:داریوش
            Kourosh:کوروش Babak:بابک"""),
        _names("""Mohammadi:محمدی Hosseini:حسینی Ahmadi:احمدی Rezaei:رضایی Karimi:کریمی
            Moradi:مرادی Jafari:جعفری Tehrani:تهرانی"""),
        native_share=0.25,
    ),
    Culture(
        "hebrew",
        1,
        _names("""Noa:נועה Tamar:תמר Yael:יעל Shira:שירה Maya:מאיה Rivka:רבקה Avigail:אביגיל
            Michal:מיכל"""),
        _names("""David:דוד Yosef:יוסף Moshe:משה Eitan:איתן Avi:אבי Noam:נועם Ariel:אריאל
            Daniel:דניאל"""),
        _names("""Cohen:כהן Levi:לוי Mizrahi:מזרחי Peretz:פרץ Biton:ביטון Friedman:פרידמן
            Shapiro:שפירו Katz:כץ"""),
        native_share=0.2,
    ),
    Culture(
        "nigerian",
        3,
        _names("""Ngozi Chiamaka Adaeze Funmilayo Folake Oluwaseun Yetunde Aisha Amina Chidinma
            Ìfẹ́olúwa Títílayọ̀ Nneka Blessing Temitope Adaobi"""),
        _names("""Chukwuemeka Oluwaseun Babatunde Emeka Chinedu Ifeanyi Adewale Tunde Musa Aminu
            Olúwáṣeun Ọlámídé Obinna Segun Kelechi Femi"""),
        _names("""Okafor Adeyemi Okonkwo Chukwu Eze Nwosu Adebayo Olawale Bello Abubakar Ibrahim
            Oyelaran Adébáyọ̀ Ògúnlèyè Ọlánrewájú Nnamdi Obi Ugwu Okeke Balogun Onyekachi"""),
    ),
    Culture(
        "ethiopian",
        1,
        _names("""Tigist:ትግስት Hiwot:ሕይወት Meron:ሜሮን Selam:ሰላም Bethlehem:ቤተልሔም
            Mekdes:መቅደስ"""),
        _names("""Dawit:ዳዊት Yonas:ዮናስ Solomon:ሰለሞን Henok:ሄኖክ Kebede:ከበደ Samuel:ሳሙኤል"""),
        _names("""Abebe:አበበ Bekele:በቀለ Tesfaye:ተስፋዬ Girma:ግርማ Haile:ኃይሌ Tadesse:ታደሰ
            Alemu:አለሙ Mulugeta:ሙሉጌታ"""),
        native_share=0.15,
    ),
    Culture(
        "polish",
        2,
        _names("""Małgorzata Agnieszka Katarzyna Magdalena Joanna Anna Zofia Ewa Beata Jadwiga
            Grażyna Bożena Żaneta Iwona"""),
        _names("""Łukasz Piotr Krzysztof Tomasz Paweł Michał Marcin Grzegorz Jakub Wojciech
            Andrzej Józef Stanisław Bartłomiej"""),
        _names("""Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński
            Szymański Woźniak Dąbrowski Kozłowski Jankowski Mazur Krawczyk Piotrowski Grabowski
            Pawłowski Michalski Król Wieczorek Jabłoński Nowicki Majewski Olszewski Stępień
            Malinowski Jaworski Górski Sikora"""),
        _names("""Nowak Kowalska Wiśniewska Wójcik Kowalczyk Kamińska Lewandowska Zielińska
            Szymańska Woźniak Dąbrowska Kozłowska Jankowska Mazur Krawczyk Piotrowska Grabowska
            Pawłowska Michalska Król Wieczorek Jabłońska Nowicka Majewska Olszewska Stępień
            Malinowska Jaworska Górska Sikora"""),
    ),
    Culture(
        "greek",
        2,
        _names("""Maria:Μαρία Eleni:Ελένη Katerina:Κατερίνα Sofia:Σοφία Dimitra:Δήμητρα
            Georgia:Γεωργία Anastasia:Αναστασία Eirini:Ειρήνη"""),
        _names("""Giorgos:Γιώργος Dimitris:Δημήτρης Konstantinos:Κωνσταντίνος Nikos:Νίκος
            Giannis:Γιάννης Christos:Χρήστος Panagiotis:Παναγιώτης Vasilis:Βασίλης"""),
        _names("""Papadopoulos:Παπαδόπουλος Georgiou:Γεωργίου Nikolaidis:Νικολαΐδης
            Papadakis:Παπαδάκης Oikonomou:Οικονόμου Vlachos:Βλάχος
            Konstantinidis:Κωνσταντινίδης Dimitriou:Δημητρίου Pappas:Παππάς Alexiou:Αλεξίου"""),
        _names("""Papadopoulou:Παπαδοπούλου Georgiou:Γεωργίου Nikolaidou:Νικολαΐδου
            Papadaki:Παπαδάκη Oikonomou:Οικονόμου Vlachou:Βλάχου
            Konstantinidou:Κωνσταντινίδου Dimitriou:Δημητρίου Pappa:Παππά Alexiou:Αλεξίου"""),
        native_share=0.3,
    ),
    Culture(
        "slavic",
        2,
        _names("""Olga:Ольга Natalia:Наталья Tatiana:Татьяна Elena:Елена Irina:Ирина
            Svetlana:Светлана Anastasia:Анастасия Yulia:Юлия"""),
        _names("""Aleksandr:Александр Dmitry:Дмитрий Sergei:Сергей Andrei:Андрей Mikhail:Михаил
            Oleksandr:Олександр Vladimir:Владимир Ivan:Иван"""),
        _names("""Ivanov:Иванов Smirnov:Смирнов Kuznetsov:Кузнецов Popov:Попов Petrov:Петров
            Sokolov:Соколов Volkov:Волков Shevchenko:Шевченко Kovalenko:Коваленко
            Bondarenko:Бондаренко"""),
        _names("""Ivanova:Иванова Smirnova:Смирнова Kuznetsova:Кузнецова Popova:Попова
            Petrova:Петрова Sokolova:Соколова Volkova:Волкова Shevchenko:Шевченко
            Kovalenko:Коваленко Bondarenko:Бондаренко"""),
        native_share=0.3,
    ),
    Culture(
        "irish",
        3,
        _names("""Siobhán Aoife Niamh Saoirse Caoimhe Róisín Orla Clodagh Sinéad Bríd Áine
            Máire"""),
        _names("""Seán Pádraig Cian Oisín Darragh Eoin Ciarán Colm Diarmuid Tadhg Cathal Fionn"""),
        _names("""Murphy Kelly O'Sullivan Walsh O'Brien Byrne Ryan O'Connor O'Neill O'Reilly Doyle
            McCarthy Gallagher Ó_Súilleabháin Mac_Cárthaigh Ó_Briain Ó_Ceallaigh"""),
    ),
    Culture(
        "german",
        3,
        _names("""Ursula Sabine Petra Monika Gisela Anja Jutta Brigitte Käthe Dörte Heike Birgit
            Lena Hannelore"""),
        _names("""Jürgen Klaus Wolfgang Hans Günter Dieter Uwe Jörg Stefan Matthias Björn Torsten
            Lukas Maximilian"""),
        _names("""Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann
            Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger
            Hofmann Hartmann Weiß Groß Jäger Vogel Günther Lange"""),
    ),
    Culture(
        "italian",
        3,
        _names("""Giulia Francesca Chiara Federica Alessandra Giovanna Rosaria Antonella Lucia
            Paola Martina Elisa"""),
        _names("""Giuseppe Giovanni Antonio Mario Luigi Francesco Alessandro Marco Salvatore
            Vincenzo Niccolò Gianluca"""),
        _names("""Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno
            Gallo Conti De_Luca Mancini Costa Giordano Rizzo Lombardi Moretti D'Angelo Barbieri
            Fontana Santoro Caruso"""),
    ),
    Culture(
        "french",
        2,
        _names("""Hélène Amélie Élodie Céline Chloé Margaux Océane Léa Béatrice Geneviève Renée
            Wideline Nadège Marie-Claire"""),
        _names("""François Jérôme Sébastien Frédéric Étienne Noël Léon Mathéo Benoît Rémi
            Jean-Pierre Jean-Claude Wilner"""),
        _names("""Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Lefèvre
            Lefebvre Fournier Girard Bonnet Mercier Gagnon Tremblay Bélanger Côté Pierre-Louis
            Jean-Baptiste Désir Théodore"""),
    ),
    Culture(
        "portuguese",
        2,
        _names("""Maria Ana Francisca Antônia Adriana Juliana Márcia Fernanda Patrícia Aline
            Conceição Luíza"""),
        _names("""João José Antônio Francisco Paulo Pedro Lucas Luiz Gonçalo Sebastião Rogério
            Fábio"""),
        _names("""Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa
            Ribeiro Martins Carvalho Araújo Gonçalves Conceição Magalhães Brandão Simões"""),
    ),
    Culture(
        "turkish",
        1,
        _names("""Ayşe Fatma Emine Hatice Zeynep Elif Şeyma Gülşen Özlem Büşra Çağla İrem"""),
        _names("""Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim Murat Ömer Çağlar Uğur Barış"""),
        _names("""Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan
            Kılıç Aslan Çetin Koç Kurt Özkan Şimşek Polat"""),
    ),
    Culture(
        "nordic",
        1,
        _names("""Ingrid Åsa Sigrid Solveig Astrid Linnéa Maja Freja Siri Kari Märta Ylva"""),
        _names("""Bjørn Søren Lars Anders Erik Håkon Magnus Nils Olav Sven Jørgen Ørjan"""),
        _names("""Hansen Johansen Olsen Larsen Andersen Nielsen Pedersen Kristiansen Jensen
            Karlsson Lindqvist Bergström Sjöberg Åberg Ødegaard Sørensen Kjærgaard Løvik Holm
            Lund"""),
    ),
    Culture(
        "hawaiian",
        0.5,
        _names("""Leilani Kaʻiulani Noelani Malia Kalena Keala"""),
        _names("""Keanu Kaleo Makoa Ikaika Kawika Kainoa"""),
        _names("""Kealoha Kahananui Akana Kamakau Palakiko Kahale"""),
    ),
)

CULTURE = Weighted(tuple((culture, culture.weight) for culture in CULTURES))
# Some people type their name all in lower case or in capitals; the folded name_key copes.
_LOWER_SHARE = 0.02
_UPPER_SHARE = 0.01
# People who leave the accents off their own name on a form ("Nguyen" for "Nguyễn").
_UNACCENTED_SHARE = 0.15


@dataclass(frozen=True)
class Person:
    name: str
    culture: str
    given_ascii: str
    family_ascii: str


def _unaccented(text: str) -> str:
    """The name without its accents, as some people type their own: 'Nguyen' for 'Nguyễn'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def invent_person(rng: random.Random, female: bool) -> Person:
    """A plausible name from a culture picked by weight; the ASCII parts make the email."""
    culture = CULTURE.draw(rng)
    given = one_of(rng, culture.female if female else culture.male)
    index = between(rng, 0, len(culture.family))
    family = (culture.family_female if female and culture.family_female else culture.family)[index]
    if culture.key == "hispanic" and rng.random() < 0.35:
        second = one_of(rng, culture.family)
        family = Name(f"{family.written} {second.written}", family.roman, family.ascii)
    native = culture.native_share and rng.random() < culture.native_share
    if native:
        first, last = (family, given) if culture.family_first else (given, family)
        name = f"{first.written}{'' if culture.joined else ' '}{last.written}"
    elif culture.family_first and not culture.joined and rng.random() < 0.5:
        # Vietnamese in its own order, in Latin letters: "Nguyễn Thị Hương".
        name = f"{family.roman} {given.roman}"
    else:
        name = f"{given.roman} {family.roman}"
    if not native and rng.random() < _UNACCENTED_SHARE:
        name = _unaccented(name)
    roll = rng.random()
    if roll < _LOWER_SHARE:
        name = name.lower()
    elif roll < _LOWER_SHARE + _UPPER_SHARE:
        name = name.upper()
    return Person(name, culture.key, given.ascii, family.ascii)
