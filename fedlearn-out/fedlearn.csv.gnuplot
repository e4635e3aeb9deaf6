set terminal png size 900,600
set output 'fedlearn-out/accuracy.png'
set datafile separator ','
set key bottom right
set xlabel 'round'
set ylabel 'test accuracy'
set grid
set title 'Fashion-MNIST, softmax, 3 owners'
plot 'fedlearn-out/fedlearn.csv' using 1:(strcol(2) eq 'centralized' ? $6 : 1/0) with linespoints title 'centralized', 'fedlearn-out/fedlearn.csv' using 1:(strcol(2) eq 'trusted' ? $6 : 1/0) with linespoints title 'trusted', 'fedlearn-out/fedlearn.csv' using 1:(strcol(2) eq 'secure' ? $6 : 1/0) with linespoints title 'secure', 'fedlearn-out/fedlearn.csv' using 1:(strcol(2) eq 'plain' ? $6 : 1/0) with linespoints title 'plain'
