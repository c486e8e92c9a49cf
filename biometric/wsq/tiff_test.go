package wsq

import _ "golang.org/x/image/tiff" // FVC2002 images are TIFF
